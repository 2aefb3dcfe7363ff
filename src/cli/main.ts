#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ServingError } from '../errors/serving-error.js';
import { FlagError } from './flags.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const USAGE = `Usage: millrace <command> [flags]

Commands:
  serve     serve a model repository over TF Serving's REST API (millrace serve --help)
  inspect   show a model version's signatures, or run one (millrace inspect --help)
  predict   run a model over JSON lines, CSV, Parquet or TFRecord files into sharded prediction files (millrace predict --help)
  stats     compute TFDV statistics of CSV, JSON lines, Parquet or TFRecord; stats merge combines shards (millrace stats --help)
  schema    infer a TFDV schema from statistics (millrace schema infer --help)
  validate  check statistics against a schema, with drift and skew (millrace validate --help)
  report    write statistics (optionally two data sets, with drift) as one HTML page (millrace report --help)
  stream    predict messages from Redis Streams, NATS, Kafka or stdin into a table or stream (millrace stream --help)
  simulate  publish the rows of a file to a stream at a fixed rate (millrace simulate --help)
  stream-stats  throughput and end-to-end latency of a stream from its sink table (millrace stream-stats --help)
`;

// Each command's modules load only when it runs: a batch job need not load the server's, and the reverse.
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('./serve.js')).serveCommand(rest, VERSION);
    case 'inspect':
      return (await import('./inspect.js')).inspectCommand(rest);
    case 'predict':
      return (await import('./predict.js')).predictCommand(rest);
    case 'stats':
      return (await import('./stats.js')).statsCommand(rest);
    case 'schema':
      return (await import('./schema.js')).schemaCommand(rest);
    case 'validate':
      return (await import('./validate.js')).validateCommand(rest);
    case 'report':
      return (await import('./report.js')).reportCommand(rest);
    case 'stream':
      return (await import('./stream.js')).streamCommand(rest);
    case 'simulate':
      return (await import('./simulate.js')).simulateCommand(rest);
    case 'stream-stats':
      return (await import('./stream-stats.js')).streamStatsCommand(rest);
    case '--version':
      process.stdout.write(`millrace ${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`millrace: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof FlagError) {
      process.stderr.write(`millrace: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof ServingError) {
      process.stderr.write(`millrace: ${err.code}: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`millrace: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
