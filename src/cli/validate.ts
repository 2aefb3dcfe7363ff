import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { ServingError } from '../errors/serving-error.js';
import { isTableUrl } from '../readers/table-url.js';
import { accumulateStatistics, accumulateTableStatistics } from '../validation/generate-statistics.js';
import { DEFAULT_STATISTICS_OPTIONS } from '../validation/feature-statistics.js';
import { invalidRowLines, invalidRows } from '../validation/invalid-rows.js';
import { ANOMALIES_TYPE, readSchemaFile, readStatisticsFile, toProtoJson } from '../validation/metadata-protos.js';
import type { Schema } from '../validation/schema-types.js';
import type { DatasetFeatureStatisticsList } from '../validation/statistics-types.js';
import { validateStatistics } from '../validation/validate-statistics.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec } from './flags.js';
import { expandInputs, splitList } from './stats.js';
import { reportInputErrors } from './validation-errors.js';

export const DEFAULT_MAX_ROWS = 1000;

const VALIDATE_FLAGS: readonly FlagSpec[] = [
  { name: 'stats', type: 'string', default: '', help: 'statistics to validate, JSON or text proto (default: computed from --input)' },
  {
    name: 'input',
    type: 'string',
    default: '',
    help:
      'data files, directories or globs, comma-separated (.csv, .tsv, .jsonl, .parquet, .tfrecord), or one table (duckdb:///path.db?table=T|query=SQL, postgres://…?table=T|query=SQL): validated, and their rows checked with --rows',
  },
  { name: 'format', type: 'string', default: '', help: 'input format when the file name does not tell: csv, tsv, jsonl, parquet, tfrecord' },
  { name: 'rows', type: 'string', default: '', help: 'write the rows of --input that break the schema here as JSON lines ("-" for stdout)' },
  { name: 'max_rows', type: 'int', default: DEFAULT_MAX_ROWS, help: 'stop checking rows after listing this many rows that break the schema' },
  { name: 'schema', type: 'string', default: '', help: 'schema (.json protobuf JSON, or text format)' },
  { name: 'previous_stats', type: 'string', default: '', help: 'statistics of the previous span, for drift_comparator' },
  { name: 'serving_stats', type: 'string', default: '', help: 'statistics of serving data, for skew_comparator' },
  { name: 'environment', type: 'string', default: '', help: 'environment (one of the schema default_environment), e.g. SERVING' },
  { name: 'new_features_are_warnings', type: 'bool', default: false, help: 'report features missing from the schema as WARNING' },
  { name: 'output', type: 'string', default: '', help: 'where to write the anomalies JSON (stdout when empty)' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace validate --stats s.json --schema schema.pbtxt [--previous-stats p.json] [--serving-stats v.json]
                        [--environment E] [--output anomalies.json]
       millrace validate --input data.csv --schema schema.pbtxt [--rows bad-rows.jsonl [--max-rows N]] …

Checks statistics against a schema (and drift/skew comparators against previous or serving statistics) like
TFDV's validate_statistics, and writes tensorflow.metadata.v0.Anomalies JSON. With --input instead of --stats
the statistics of the data are computed first. --rows also checks every row of --input against the schema, as
TFDV's validate_instance does, and writes one JSON line per anomaly of a row:
  {"file": …, "line": N (CSV, JSON lines) or "row": N (Parquet), "feature": …, "type": "INT_TYPE_BIG_INT",
   "severity": "ERROR", "shortDescription": …, "description": …}
Exit code 0 when there are no anomalies, 1 when there are (in the statistics or in a row), 2 on usage or input errors.

Flags:
${flagsHelp(VALIDATE_FLAGS)}
`;

export async function validateCommand(argv: readonly string[]): Promise<number> {
  return reportInputErrors(async () => {
    const { flags, positional } = parseFlags(VALIDATE_FLAGS, argv);
    if (bool(flags, 'help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
    const statsFile = str(flags, 'stats');
    const schemaFile = str(flags, 'schema');
    // A table URL is one input even when its query holds commas.
    const table = isTableUrl(str(flags, 'input'));
    const inputs = table ? [str(flags, 'input')] : await expandInputs(splitList(str(flags, 'input')));
    const rowsFile = str(flags, 'rows');
    if (statsFile === '' && inputs.length === 0) throw new FlagError('validate needs --stats or --input');
    if (schemaFile === '') throw new FlagError('validate needs --schema');
    if (rowsFile !== '' && inputs.length === 0) throw new FlagError('--rows needs --input: the data whose rows are checked');
    if (rowsFile === '-' && str(flags, 'output') === '') throw new FlagError('--rows - and the anomalies would both go to stdout; give --output or a --rows file');
    const maxRows = num(flags, 'max_rows');
    if (maxRows < 1) throw new FlagError('--max_rows must be at least 1');
    const optional = async (name: string) => (str(flags, name) === '' ? undefined : readStatisticsFile(str(flags, name)));
    const environment = str(flags, 'environment');
    const statistics: DatasetFeatureStatisticsList =
      statsFile !== ''
        ? await readStatisticsFile(statsFile)
        : (table ? await accumulateTableStatistics(inputs[0]!, {}) : await accumulateStatistics(inputs, { format: str(flags, 'format') })).toStatistics(
            DEFAULT_STATISTICS_OPTIONS,
          );
    const schema = await readSchemaFile(schemaFile);
    const anomalies = validateStatistics({
      statistics,
      schema,
      previousStatistics: await optional('previous_stats'),
      servingStatistics: await optional('serving_stats'),
      ...(environment === '' ? {} : { environment }),
      newFeaturesAreWarnings: bool(flags, 'new_features_are_warnings'),
    });
    const json = toProtoJson(ANOMALIES_TYPE, anomalies);
    const output = str(flags, 'output');
    if (output === '') process.stdout.write(json);
    else await writeFile(output, json);
    const found = Object.keys(anomalies.anomaly_info).length + (anomalies.dataset_anomaly_info === undefined ? 0 : 1);
    for (const [key, info] of Object.entries(anomalies.anomaly_info)) {
      process.stderr.write(`validate: ${key}: ${info.severity}: ${info.short_description}: ${info.description}\n`);
    }
    if (anomalies.dataset_anomaly_info !== undefined) {
      process.stderr.write(`validate: dataset: ${anomalies.dataset_anomaly_info.severity}: ${anomalies.dataset_anomaly_info.description}\n`);
    }
    if (anomalies.data_missing === true) process.stderr.write('validate: the statistics have no examples (data_missing)\n');
    const badRows =
      rowsFile === ''
        ? 0
        : await listInvalidRows(inputs, str(flags, 'format'), schema, rowsFile, maxRows, {
            ...(environment === '' ? {} : { environment }),
            newFeaturesAreWarnings: bool(flags, 'new_features_are_warnings'),
          });
    return found > 0 || badRows > 0 || anomalies.data_missing === true ? 1 : 0;
  });
}

/** Writes the rows that break the schema, up to `maxRows` of them; returns how many were written. */
async function listInvalidRows(
  inputs: readonly string[],
  format: string,
  schema: Schema,
  rowsFile: string,
  maxRows: number,
  options: { environment?: string; newFeaturesAreWarnings: boolean },
): Promise<number> {
  const out: NodeJS.WritableStream = rowsFile === '-' ? process.stdout : await openOutput(rowsFile);
  let rows = 0;
  let anomalies = 0;
  try {
    for await (const row of invalidRows(inputs, format, schema, options)) {
      const lines = invalidRowLines(row);
      anomalies += lines.length;
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      if (++rows === maxRows) break;
    }
  } finally {
    if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  const stopped = rows === maxRows ? ` (stopped at --max_rows ${maxRows}; more rows may break it)` : '';
  process.stderr.write(`validate: ${rows} row(s) break the schema, ${anomalies} anomal${anomalies === 1 ? 'y' : 'ies'}${stopped} → ${rowsFile === '-' ? 'stdout' : rowsFile}\n`);
  return rows;
}

async function openOutput(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new ServingError('INVALID_ARGUMENT', `cannot write ${file}: ${err.message}`)));
  });
  return stream;
}
