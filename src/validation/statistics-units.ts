/**
 * The work of `stats`, cut into units that threads can take: a whole file, or for Parquet a run of whole row
 * groups of at least `unitRows` rows. Each unit's statistics are computed alone and merged in input order, so the
 * result does not depend on how many threads took the units.
 */
import type { InputFormat } from '../readers/input-format.js';
import type { RowRange } from '../readers/parquet-rows.js';
import { inputFormatOf, readExamples } from './readers/example-source.js';
import type { ParquetColumnSource } from './readers/parquet-column-batches.js';
import { DEFAULT_SKETCH_SIZES, excludedFeatures, StatisticsAccumulator } from './statistics-accumulator.js';

/** Rows per unit of Parquet work by default: enough that a thread's start-up is small beside it. */
export const DEFAULT_UNIT_ROWS = 500_000;

export interface StatisticsUnit {
  /** Position in input order: units merge in this order. */
  readonly index: number;
  readonly file: string;
  readonly format: InputFormat;
  /** Parquet rows (whole row groups); absent for the whole file. */
  readonly range?: RowRange;
}

/** What a thread needs to compute units; plain data, copied to worker threads. */
export interface UnitSettings {
  readonly sliceBy: readonly string[];
  readonly maxSlices: number;
  /** Features left out: exact names, or prefixes ending in `*`. */
  readonly excludeFeatures?: readonly string[];
}

export async function planUnits(
  inputs: readonly string[],
  format: string,
  unitRows: number,
  parquet: () => Promise<ParquetColumnSource>,
): Promise<StatisticsUnit[]> {
  const units: StatisticsUnit[] = [];
  for (const file of inputs) {
    const fileFormat = inputFormatOf(file, format);
    if (fileFormat !== 'parquet') {
      units.push({ index: units.length, file, format: fileFormat });
      continue;
    }
    const groups = await (await parquet()).rowGroupRows(file);
    const total = groups.reduce((s, n) => s + n, 0);
    if (total <= unitRows || groups.length <= 1) {
      units.push({ index: units.length, file, format: fileFormat });
      continue;
    }
    let rowStart = 0;
    let rowEnd = 0;
    for (const rows of groups) {
      rowEnd += rows;
      if (rowEnd - rowStart >= unitRows) {
        units.push({ index: units.length, file, format: fileFormat, range: { rowStart, rowEnd } });
        rowStart = rowEnd;
      }
    }
    if (rowEnd > rowStart) units.push({ index: units.length, file, format: fileFormat, range: { rowStart, rowEnd } });
  }
  return units;
}

/** Statistics of one unit; `onRows` hears of rows read as it goes. */
export async function accumulateUnit(
  unit: StatisticsUnit,
  settings: UnitSettings,
  parquet: () => Promise<ParquetColumnSource>,
  onRows: (rows: number) => void,
): Promise<StatisticsAccumulator> {
  const accumulator = new StatisticsAccumulator(settings.sliceBy, DEFAULT_SKETCH_SIZES, settings.maxSlices, excludedFeatures(settings.excludeFeatures ?? []));
  if (unit.format === 'parquet') {
    const batches = await (await parquet()).batches(unit.file, unit.range);
    if (batches !== undefined) {
      for await (const batch of batches) {
        accumulator.addBatch(batch);
        onRows(batch.rowCount);
      }
      return accumulator;
    }
  }
  let pending = 0;
  for await (const { example } of readExamples(unit.file, unit.format, unit.range)) {
    accumulator.add(example);
    if (++pending === 1000) {
      onRows(pending);
      pending = 0;
    }
  }
  if (pending > 0) onRows(pending);
  return accumulator;
}
