import { ServingError } from '../errors/serving-error.js';
import { formatStreamStats, readStreamStats } from '../pipeline/stream/stream-stats.js';
import { isTableUrl } from '../readers/table-url.js';
import { bool, FlagError, flagsHelp, parseFlags, str, type FlagSpec } from './flags.js';

const STREAM_STATS_FLAGS: readonly FlagSpec[] = [
  { name: 'sink', type: 'string', default: '', help: 'the sink table of millrace stream: postgres://user@host:port/db?table=T or duckdb:///path.db?table=T' },
  { name: 'json', type: 'bool', default: false, help: 'print one JSON object instead of text' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace stream-stats --sink TABLE_URL [--json]

Reports what millrace stream wrote to a sink table: rows and distinct message ids (equal when nothing was
doubled), dead letters (T_dead_letters), throughput between the first and the last prediction, and end-to-end
latency percentiles (prediction_time - event_time), per model version too.

Flags:
${flagsHelp(STREAM_STATS_FLAGS)}
`;

export async function streamStatsCommand(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags(STREAM_STATS_FLAGS, argv);
  if (bool(flags, 'help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
  const sink = str(flags, 'sink');
  if (sink === '') throw new FlagError('stream-stats needs --sink');
  if (!isTableUrl(sink)) throw new FlagError(`stream-stats reads a sink table: postgres://…?table=T or duckdb:///path.db?table=T, got "${sink}"`);
  try {
    const stats = await readStreamStats(sink);
    process.stdout.write(bool(flags, 'json') ? `${JSON.stringify(stats)}\n` : formatStreamStats(stats));
    return 0;
  } catch (err) {
    if (err instanceof ServingError && (err.code === 'INVALID_ARGUMENT' || err.code === 'NOT_FOUND' || err.code === 'FAILED_PRECONDITION')) {
      process.stderr.write(`millrace: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
