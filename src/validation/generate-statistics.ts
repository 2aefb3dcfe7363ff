/**
 * `stats` end to end: cut the inputs into units (statistics-units.ts), compute each unit's statistics in one
 * pass with memory bounded by the sketches — Parquet column by column through DuckDB's reader, other formats
 * example by example — on one or more threads, merge them in input order, then write TFDV JSON and the sketch
 * side file.
 */
import { writeFile } from 'node:fs/promises';
import { STATISTICS_TYPE, toProtoJson } from './metadata-protos.js';
import { ParquetColumnSource } from './readers/parquet-column-batches.js';
import { sketchPathFor, writeSketchFile } from './sketch-file.js';
import { readTableExamples } from './readers/table-examples.js';
import { DEFAULT_MAX_SLICES, DEFAULT_SKETCH_SIZES, excludedFeatures, StatisticsAccumulator } from './statistics-accumulator.js';
import { DEFAULT_UNIT_ROWS, planUnits } from './statistics-units.js';
import { accumulateUnits } from './statistics-workers.js';
import { DEFAULT_STATISTICS_OPTIONS, type StatisticsOptions } from './feature-statistics.js';
import type { DatasetFeatureStatisticsList } from './statistics-types.js';

export interface GenerateOptions {
  readonly format?: string;
  readonly sliceBy?: readonly string[];
  readonly maxSlices?: number;
  /** Features left out of the statistics: exact names, or prefixes ending in `*` (they can still slice). */
  readonly excludeFeatures?: readonly string[];
  /** Threads, this one included (default 1). */
  readonly workers?: number;
  /** Parquet rows per unit of work (whole row groups; default DEFAULT_UNIT_ROWS). */
  readonly unitRows?: number;
  /** Called every `progressEvery` examples with the running count. */
  readonly onProgress?: (examples: number) => void;
  readonly progressEvery?: number;
}

export async function accumulateStatistics(inputs: readonly string[], options: GenerateOptions = {}): Promise<StatisticsAccumulator> {
  const workers = options.workers ?? 1;
  const every = options.progressEvery ?? 500_000;
  let count = 0;
  let source: Promise<ParquetColumnSource> | undefined;
  // With worker threads, each DuckDB reader keeps to one thread: the threads are the parallelism.
  const parquet = (): Promise<ParquetColumnSource> => (source ??= ParquetColumnSource.open(workers > 1 ? 1 : 0));
  try {
    const units = await planUnits(inputs, options.format ?? '', options.unitRows ?? DEFAULT_UNIT_ROWS, parquet);
    return await accumulateUnits(units, {
      workers,
      settings: { sliceBy: options.sliceBy ?? [], maxSlices: options.maxSlices ?? DEFAULT_MAX_SLICES, excludeFeatures: options.excludeFeatures ?? [] },
      parquet,
      onRows: (rows) => {
        const before = count;
        count += rows;
        if (Math.floor(count / every) > Math.floor(before / every)) options.onProgress?.(count);
      },
    });
  } finally {
    if (source !== undefined) (await source).close();
  }
}

/**
 * Statistics of a table input (duckdb:///…?table=|query=, postgres://…?table=|query=), read in chunks through
 * one connection on this thread; `workers`, `unitRows` and `format` do not apply.
 */
export async function accumulateTableStatistics(input: string, options: GenerateOptions = {}): Promise<StatisticsAccumulator> {
  const every = options.progressEvery ?? 500_000;
  const accumulator = new StatisticsAccumulator(
    options.sliceBy ?? [],
    DEFAULT_SKETCH_SIZES,
    options.maxSlices ?? DEFAULT_MAX_SLICES,
    excludedFeatures(options.excludeFeatures ?? []),
  );
  let count = 0;
  for await (const { example } of readTableExamples(input)) {
    accumulator.add(example);
    if (++count % every === 0) options.onProgress?.(count);
  }
  return accumulator;
}

export async function writeStatistics(
  output: string,
  accumulator: StatisticsAccumulator,
  options: StatisticsOptions = DEFAULT_STATISTICS_OPTIONS,
): Promise<DatasetFeatureStatisticsList> {
  const statistics = accumulator.toStatistics(options);
  await writeFile(output, toProtoJson(STATISTICS_TYPE, statistics));
  await writeSketchFile(sketchPathFor(output), accumulator);
  return statistics;
}
