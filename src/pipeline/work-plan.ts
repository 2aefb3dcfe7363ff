/**
 * The deterministic plan of a batch job: the input files in order, each cut into work units (byte ranges of
 * about `recordsPerUnit` records for text, row groups for Parquet), and the units dealt in contiguous runs to
 * `numOutputShards` output shards. The plan depends only on the input bytes and these two numbers, so every
 * process of a sharded job (and every rerun) computes the same one: `--shard_index/--shard_count` then picks
 * a subset of output shards, and the union of all subsets is the whole job.
 */
import { stat } from 'node:fs/promises';
import { ServingError } from '../errors/serving-error.js';
import type { WorkUnit } from '../readers/input-record.js';
import { readCsvHeader } from '../readers/csv-records.js';
import { listInputFiles } from '../readers/input-files.js';
import { delimiterOf, inputFormatOf, type InputFormat } from '../readers/input-format.js';
import { openParquetFile, parquetRowGroups } from '../readers/parquet-rows.js';
import { splitTextFile } from '../readers/split-points.js';
import type { TfRecordPayload } from '../readers/tfrecord-payload.js';
import { DEFAULT_MAX_RECORD_BYTES, detectTfRecordCompression } from '../readers/tfrecord-records.js';
import { splitTfRecordFile } from '../readers/tfrecord-splits.js';
import type { TableInput } from './tables/table-plan.js';

export interface PlanOptions {
  /** `--input`: files, directories or globs, comma-separated. */
  readonly input: string;
  /** `--format`, or '' to tell by extension. */
  readonly format: string;
  readonly recordsPerUnit: number;
  /** 0: one output shard per work unit. */
  readonly numOutputShards: number;
  /** Files under this directory are never input (the job's own output). */
  readonly exclude?: string | undefined;
  /** TFRecord files: what a record holds (default `example`) and the longest record read. */
  readonly tfrecord?: { readonly payload?: TfRecordPayload | undefined; readonly maxRecordBytes?: number | undefined } | undefined;
}

export interface InputFile {
  readonly path: string;
  readonly format: InputFormat;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface OutputShard {
  readonly index: number;
  readonly count: number;
  readonly units: readonly WorkUnit[];
  /** Records in its units, for progress (an estimate for text: blank lines count). */
  readonly size: number;
}

export interface WorkPlan {
  readonly files: readonly InputFile[];
  /** A table input instead of files (see tables/table-plan.ts). */
  readonly table?: TableInput | undefined;
  readonly units: readonly WorkUnit[];
  readonly shards: readonly OutputShard[];
}

export async function planWork(options: PlanOptions): Promise<WorkPlan> {
  if (!Number.isInteger(options.recordsPerUnit) || options.recordsPerUnit < 1) {
    throw new ServingError('INVALID_ARGUMENT', `records per work unit must be a positive integer, got ${options.recordsPerUnit}`);
  }
  const paths = await listInputFiles(options.input, options.exclude);
  const files: InputFile[] = [];
  const units: WorkUnit[] = [];
  for (const path of paths) {
    const format = inputFormatOf(path, options.format);
    const info = await stat(path);
    files.push({ path, format, size: info.size, mtimeMs: info.mtimeMs });
    units.push(...(await unitsOf(path, format, options)));
  }
  return { files, units, shards: dealShards(units, options.numOutputShards) };
}

/** Deals units in contiguous runs to `numOutputShards` shards (0: one shard per unit). */
export function dealShards(units: readonly WorkUnit[], numOutputShards: number): OutputShard[] {
  const count = numOutputShards > 0 ? numOutputShards : Math.max(1, units.length);
  const shards: OutputShard[] = [];
  for (let index = 0; index < count; index++) {
    const mine = units.slice(Math.floor((index * units.length) / count), Math.floor(((index + 1) * units.length) / count));
    shards.push({ index, count, units: mine, size: mine.reduce((n, u) => n + u.size, 0) });
  }
  return shards;
}

/** The output shards process `shardIndex` of `shardCount` owns: every shardCount-th one, starting at shardIndex. */
export function ownedShards(plan: WorkPlan, shardIndex: number, shardCount: number): OutputShard[] {
  return plan.shards.filter((s) => s.index % shardCount === shardIndex);
}

async function unitsOf(path: string, format: InputFormat, options: PlanOptions): Promise<WorkUnit[]> {
  const { recordsPerUnit } = options;
  if (format === 'tfrecord') {
    const compression = await detectTfRecordCompression(path);
    const payload = options.tfrecord?.payload ?? 'example';
    const maxRecordBytes = options.tfrecord?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    const splits = await splitTfRecordFile(path, compression, recordsPerUnit);
    return splits.map(({ range, records }) => ({ file: path, format, compression, range, payload, maxRecordBytes, size: records }));
  }
  if (format === 'parquet') {
    const parquet = await openParquetFile(path);
    return parquetRowGroups(parquet)
      .filter((rows) => rows.rowEnd > rows.rowStart)
      .map((rows) => ({ file: path, format, rows, size: rows.rowEnd - rows.rowStart }));
  }
  const header = format === 'jsonl' ? undefined : await readCsvHeader(path, delimiterOf(format));
  const splits = await splitTextFile(path, format, recordsPerUnit);
  return splits.map(({ range, records }) => {
    // The header is a record of the first unit but not a row.
    const size = header !== undefined && range.start === 0 ? records - 1 : records;
    return { file: path, format, range, size, ...(header === undefined ? {} : { header }) };
  });
}
