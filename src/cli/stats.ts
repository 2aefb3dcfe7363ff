import { stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { listInputFiles } from '../readers/input-files.js';
import { mergeStatisticsExactly } from '../validation/exact-statistics-merge.js';
import { isTableUrl } from '../readers/table-url.js';
import { accumulateStatistics, accumulateTableStatistics, writeStatistics, type GenerateOptions } from '../validation/generate-statistics.js';
import { readStatisticsFile, STATISTICS_TYPE, toProtoJson } from '../validation/metadata-protos.js';
import { readSketchFile, sketchPathFor } from '../validation/sketch-file.js';
import { sliceWarning } from '../validation/slice-warning.js';
import { DEFAULT_MAX_SLICES, excludedFeatures } from '../validation/statistics-accumulator.js';
import { DEFAULT_UNIT_ROWS } from '../validation/statistics-units.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec } from './flags.js';
import { reportInputErrors } from './validation-errors.js';

const STATS_FLAGS: readonly FlagSpec[] = [
  {
    name: 'input',
    type: 'string',
    default: '',
    help:
      'input files, directories or globs, comma-separated: .csv, .tsv, .jsonl/.ndjson/.json, .parquet, .tfrecord[.gz] (tf.Example); ' +
      'or one table: duckdb:///path.db?table=T|query=SQL, postgres://user@host:port/db?table=T|query=SQL (read by one thread)',
  },
  { name: 'output', type: 'string', default: '', help: 'where to write the statistics (DatasetFeatureStatisticsList JSON)' },
  { name: 'format', type: 'string', default: '', help: 'input format when the file name does not tell: csv, tsv, jsonl, parquet, tfrecord' },
  { name: 'slice_by', type: 'string', default: '', help: 'feature(s), comma-separated, whose values slice the statistics (TFDV feature-value slicing)' },
  { name: 'max_slices', type: 'int', default: DEFAULT_MAX_SLICES, help: 'refuse to make more slices than this' },
  {
    name: 'exclude_features',
    type: 'string',
    default: '',
    help: "features left out, comma-separated; a trailing * matches a prefix ('__*' leaves out a request log's model and time fields)",
  },
  { name: 'workers', type: 'int', default: availableParallelism(), help: 'threads computing statistics, this one included (the default is one per core)' },
  {
    name: 'unit_rows',
    type: 'int',
    default: DEFAULT_UNIT_ROWS,
    help: 'Parquet rows per unit of work a thread takes (whole row groups); other files are one unit each',
  },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const MERGE_FLAGS: readonly FlagSpec[] = [
  { name: 'output', type: 'string', default: '', help: 'where to write the merged statistics' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace stats --input FILE|DIR|GLOB[,…]|TABLE_URL --output stats.json [--slice-by FEATURE] [--exclude-features F,P*]
       millrace stats merge a.json b.json … --output merged.json

Computes TFDV statistics in one pass with bounded memory and writes them as DatasetFeatureStatisticsList JSON.
Inputs are cut into units (a file, or a run of Parquet row groups) that --workers threads share; the units'
statistics are merged in input order, so the output does not depend on the number of threads.
Next to OUTPUT it writes OUTPUT's name with .sketch.json (stats.json → stats.sketch.json): the mergeable sketches
that \`stats merge\` combines. Statistics without one (TFDV's) merge too, but only in what they determine exactly
(counts, missing, min, max, mean, std dev, zeros, average lengths, string values listed in full); medians and
histograms are then left out, with a warning. Exit code 0 on success, 2 on usage or input errors.

Flags (stats):
${flagsHelp(STATS_FLAGS)}

Flags (stats merge):
${flagsHelp(MERGE_FLAGS)}
`;

export async function statsCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'merge') return reportInputErrors(() => mergeCommand(argv.slice(1)));
  return reportInputErrors(async () => {
    const { flags, positional } = parseFlags(STATS_FLAGS, argv);
    if (bool(flags, 'help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
    const input = str(flags, 'input');
    // A table URL is one input even when its query holds commas.
    const table = isTableUrl(input);
    const inputs = table ? [input] : await expandInputs(splitList(input));
    if (inputs.length === 0) throw new FlagError('stats needs --input');
    const output = str(flags, 'output');
    if (output === '') throw new FlagError('stats needs --output');
    const maxSlices = num(flags, 'max_slices');
    if (maxSlices < 1) throw new FlagError('--max_slices must be at least 1');
    const workers = num(flags, 'workers');
    if (workers < 1) throw new FlagError('--workers must be at least 1');
    const unitRows = num(flags, 'unit_rows');
    if (unitRows < 1) throw new FlagError('--unit_rows must be at least 1');
    const excludeFeatures = splitList(str(flags, 'exclude_features'));
    const started = Date.now();
    const options: GenerateOptions = {
      format: str(flags, 'format'),
      sliceBy: splitList(str(flags, 'slice_by')),
      maxSlices,
      excludeFeatures,
      workers,
      unitRows,
      onProgress: (n) => process.stderr.write(`stats: ${n} examples read (${((Date.now() - started) / 1000).toFixed(1)} s)\n`),
    };
    const accumulator = table ? await accumulateTableStatistics(input, options) : await accumulateStatistics(inputs, options);
    const statistics = await writeStatistics(output, accumulator);
    const warning = sliceWarning(accumulator, excludedFeatures(excludeFeatures));
    if (warning !== undefined) process.stderr.write(`stats: warning: ${warning}\n`);
    const datasets = statistics.datasets ?? [];
    const cpu = process.cpuUsage();
    process.stderr.write(
      `stats: ${accumulator.numExamples} examples, ${datasets[0]?.features?.length ?? 0} features, ${datasets.length} dataset(s) → ${output} (+ ${sketchPathFor(output)}) ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s\n`,
    );
    return 0;
  });
}

async function mergeCommand(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags(MERGE_FLAGS, argv);
  if (bool(flags, 'help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const output = str(flags, 'output');
  if (output === '') throw new FlagError('stats merge needs --output');
  if (positional.length < 1) throw new FlagError('stats merge needs at least one statistics file to merge');
  const withoutSketch = [];
  for (const file of positional) if (!(await exists(sketchPathFor(file)))) withoutSketch.push(file);
  if (withoutSketch.length > 0) return mergeExactly(positional, withoutSketch, output);
  const [first, ...rest] = positional as [string, ...string[]];
  const merged = await readSketchFile(sketchPathFor(first));
  for (const file of rest) merged.merge(await readSketchFile(sketchPathFor(file)));
  await writeStatistics(output, merged);
  process.stderr.write(`stats merge: ${positional.length} file(s), ${merged.numExamples} examples → ${output} (+ ${sketchPathFor(output)})\n`);
  return 0;
}

/**
 * Statistics without their sketch file (TFDV's, for one): what they determine exactly is merged, the rest is
 * left out and named — a TFDV user gets true numbers or none, never an estimate passed off as one.
 */
async function mergeExactly(files: readonly string[], withoutSketch: readonly string[], output: string): Promise<number> {
  const inputs = [];
  for (const file of files) inputs.push({ file, statistics: await readStatisticsFile(file) });
  const { statistics, notMerged } = mergeStatisticsExactly(inputs);
  await writeFile(output, toProtoJson(STATISTICS_TYPE, statistics));
  const sketches = withoutSketch.map((f) => sketchPathFor(f)).join(', ');
  process.stderr.write(
    `stats merge: warning: no sketch file (${sketches}; \`millrace stats\` writes one next to its statistics, TFDV does not), so only what the ` +
      'statistics determine exactly is merged: counts, missing, min, max, mean, std dev, zeros, average lengths, and the values of string features listed in full' +
      (notMerged.length > 0 ? `; not merged, so left out: ${notMerged.join(', ')}` : '') +
      `. No sketch file is written for ${output}.\n`,
  );
  const numExamples = statistics.datasets?.[0]?.num_examples ?? 0;
  process.stderr.write(`stats merge: ${files.length} file(s), ${numExamples} examples → ${output}\n`);
  return 0;
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/**
 * Directories (every file below, names starting with `.` or `_` skipped) and globs become their files, in
 * byte order; plain paths stay as given, so a missing or unknown file is reported by its reader.
 */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const isDirectory = (await stat(input).catch(() => undefined))?.isDirectory() === true;
    if (isDirectory || /[*?[]/.test(input)) files.push(...(await listInputFiles(input)));
    else files.push(input);
  }
  return files;
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
