import { ServingError } from '../errors/serving-error.js';
import type { InstanceType } from '../pipeline/instance-shaper.js';
import { parseInputFormat } from '../readers/input-format.js';
import { openStreamPublisher, PUBLISH_SCHEMES } from '../pipeline/stream/stream-endpoints.js';
import { simulateStream } from '../pipeline/stream/stream-simulator.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec, type FlagValues } from './flags.js';

const SIMULATE_FLAGS: readonly FlagSpec[] = [
  { name: 'input', type: 'string', default: '', help: 'the rows to publish: a file, directory or glob of JSON lines, CSV/TSV or Parquet' },
  { name: 'target', type: 'string', default: '', help: 'where to publish: redis://host:port/STREAM (field "data"), nats://…, kafka://…' },
  { name: 'rate', type: 'float', default: 0, help: 'messages per second; 0 = as fast as the target takes them' },
  { name: 'count', type: 'int', default: 0, help: 'messages to publish, reading the input again from the start as needed; 0 = the input once' },
  { name: 'format', type: 'string', default: '', help: 'input format when file names do not tell: jsonl, csv, tsv, parquet' },
  { name: 'included_fields', type: 'string', default: '', help: 'comma-separated fields that make up each instance, in this order' },
  { name: 'excluded_fields', type: 'string', default: '', help: 'comma-separated fields left out of each instance' },
  { name: 'instance_type', type: 'string', default: '', help: 'object (named fields) or array (field values in order); empty = as read' },
  { name: 'max_batch', type: 'int', default: 500, help: 'most messages sent in one pipelined publish' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace simulate --input FILE --target URL [--rate R] [--count N] [flags]

Publishes the rows of a file as stream messages, one JSON instance each (shaped as millrace predict shapes
them), at --rate messages per second for --count messages, e.g. to feed millrace stream. Rows that cannot be
read or shaped are skipped and counted. A summary line goes to stdout. Targets: ${PUBLISH_SCHEMES.join(', ')}.

Flags:
${flagsHelp(SIMULATE_FLAGS)}
`;

export async function simulateCommand(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags(SIMULATE_FLAGS, argv);
  if (bool(flags, 'help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
  const input = str(flags, 'input');
  if (input === '') throw new FlagError('simulate needs --input');
  const target = str(flags, 'target');
  if (target === '') throw new FlagError('simulate needs --target');
  const format = str(flags, 'format');
  if (format !== '') {
    try {
      parseInputFormat(format);
    } catch (err) {
      throw new FlagError((err as Error).message);
    }
  }
  const rate = num(flags, 'rate');
  if (rate < 0) throw new FlagError(`--rate must not be negative, got ${rate}`);
  const count = num(flags, 'count');
  if (count < 0) throw new FlagError(`--count must not be negative, got ${count}`);
  const maxBatch = num(flags, 'max_batch');
  if (maxBatch < 1) throw new FlagError(`--max_batch must be at least 1, got ${maxBatch}`);
  const shaping = readShaping(flags);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const publisher = await openStreamPublisher(target);
    try {
      const summary = await simulateStream({ input, format, shaping, publisher, rate, count, maxBatch, signal: stop.signal });
      const seconds = summary.elapsedMs / 1000;
      const achieved = seconds > 0 ? Math.round(summary.published / seconds) : 0;
      const skipped = summary.skipped > 0 ? ` (${summary.skipped} input rows skipped: not readable or not an instance)` : '';
      process.stdout.write(`simulate: ${summary.published} messages published to ${publisher.display} in ${seconds.toFixed(2)} s (${achieved} messages/s)${skipped}\n`);
      return 0;
    } finally {
      await publisher.close();
    }
  } catch (err) {
    if (err instanceof ServingError && (err.code === 'INVALID_ARGUMENT' || err.code === 'NOT_FOUND' || err.code === 'FAILED_PRECONDITION')) {
      process.stderr.write(`millrace: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function readShaping(flags: FlagValues): { includedFields?: string[]; excludedFields?: string[]; instanceType?: InstanceType } {
  const list = (name: string): string[] | undefined => {
    const value = str(flags, name);
    return value === '' ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const includedFields = list('included_fields');
  const excludedFields = list('excluded_fields');
  if (includedFields !== undefined && excludedFields !== undefined) throw new FlagError('set --included_fields or --excluded_fields, not both');
  const type = str(flags, 'instance_type');
  if (type !== '' && type !== 'object' && type !== 'array') throw new FlagError(`--instance_type must be object or array, got "${type}"`);
  return {
    ...(includedFields === undefined ? {} : { includedFields }),
    ...(excludedFields === undefined ? {} : { excludedFields }),
    ...(type === '' ? {} : { instanceType: type as InstanceType }),
  };
}
