/**
 * Statistics of a whole input, per slice: the "All Examples" dataset plus one dataset per value of the
 * `--slice-by` features (TFDV's feature-value slicer: keys like `country_US`, several features joined with
 * "_"). The state serialises to JSON (the sketch side file) and merges, so shards can be combined later.
 */
import { ServingError } from '../errors/serving-error.js';
import { countPresent, isPresent, type BatchColumn, type ColumnBatch } from './column-batch.js';
import { type Example } from './example-values.js';
import { FeatureAccumulator, type FeatureAccumulatorState, type SketchSizes } from './feature-accumulator.js';
import { featureStatistics, statsTypeOf, type StatisticsOptions } from './feature-statistics.js';
import { DEFAULT_KLL_K } from './sketches/kll-sketch.js';
import { DEFAULT_KMV_SLOTS } from './sketches/kmv-sketch.js';
import { compareCodePoints, DEFAULT_TOP_K_CAPACITY } from './sketches/misra-gries.js';
import { DEFAULT_SLICE_NAME, type DatasetFeatureStatistics, type DatasetFeatureStatisticsList } from './statistics-types.js';

export const DEFAULT_SKETCH_SIZES: SketchSizes = {
  quantileK: DEFAULT_KLL_K,
  topKCapacity: DEFAULT_TOP_K_CAPACITY,
  distinctSlots: DEFAULT_KMV_SLOTS,
};

export const DEFAULT_MAX_SLICES = 1000;

export interface DatasetAccumulatorState {
  readonly name: string;
  readonly numExamples: number;
  readonly features: Record<string, FeatureAccumulatorState>;
}

export interface StatisticsAccumulatorState {
  readonly sliceBy: string[];
  readonly sizes: SketchSizes;
  readonly datasets: DatasetAccumulatorState[];
}

/** Feature names left out of the statistics: exact names, or prefixes written with a trailing `*`. */
export type FeatureFilter = (name: string) => boolean;

export function excludedFeatures(patterns: readonly string[]): FeatureFilter {
  if (patterns.length === 0) return () => false;
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

const NOTHING_EXCLUDED: FeatureFilter = () => false;

class DatasetAccumulator {
  numExamples = 0;
  readonly features = new Map<string, FeatureAccumulator>();

  constructor(
    readonly name: string,
    private readonly sizes: SketchSizes,
    private readonly excluded: FeatureFilter,
  ) {}

  add(example: Example): void {
    this.numExamples++;
    for (const [name, list] of example) if (!this.excluded(name)) this.feature(name).add(list);
  }

  /** Rows `rows` of a batch (all of them when null); a feature is created only once a row has it, as with examples. */
  addBatch(batch: ColumnBatch, rows: Int32Array | null, count: number): void {
    this.numExamples += count;
    for (const column of batch.columns) {
      if (this.excluded(column.name)) continue;
      if (!this.features.has(column.name) && countPresent(column.validity, rows, count) === 0) continue;
      const feature = this.feature(column.name);
      if (column.kind === 'number') feature.addNumberColumn(column, rows, count);
      else feature.addStringColumn(column, rows, count);
    }
  }

  merge(other: DatasetAccumulator): void {
    this.numExamples += other.numExamples;
    for (const [name, acc] of other.features) this.feature(name).merge(acc);
  }

  feature(name: string): FeatureAccumulator {
    let acc = this.features.get(name);
    if (acc === undefined) {
      acc = new FeatureAccumulator(this.sizes);
      this.features.set(name, acc);
    }
    return acc;
  }
}

export class StatisticsAccumulator {
  private readonly datasets = new Map<string, DatasetAccumulator>();

  constructor(
    readonly sliceBy: readonly string[] = [],
    readonly sizes: SketchSizes = DEFAULT_SKETCH_SIZES,
    private readonly maxSlices = DEFAULT_MAX_SLICES,
    /** Features not summarised (they may still slice). */
    private readonly excluded: FeatureFilter = NOTHING_EXCLUDED,
  ) {
    this.dataset(DEFAULT_SLICE_NAME);
  }

  add(example: Example): void {
    this.dataset(DEFAULT_SLICE_NAME).add(example);
    for (const key of sliceKeys(example, this.sliceBy)) this.dataset(key).add(example);
  }

  /** The same as adding the batch's rows one by one as examples. */
  addBatch(batch: ColumnBatch): void {
    this.dataset(DEFAULT_SLICE_NAME).addBatch(batch, null, batch.rowCount);
    if (this.sliceBy.length === 0) return;
    for (const [key, rows] of batchSliceRows(batch, this.sliceBy)) this.dataset(key).addBatch(batch, Int32Array.from(rows), rows.length);
  }

  merge(other: StatisticsAccumulator): void {
    if (other.sliceBy.join(',') !== this.sliceBy.join(',')) {
      throw new ServingError(
        'INVALID_ARGUMENT',
        `cannot merge statistics sliced by [${other.sliceBy.join(', ')}] into statistics sliced by [${this.sliceBy.join(', ')}]`,
      );
    }
    for (const [name, dataset] of other.datasets) this.dataset(name).merge(dataset);
  }

  get numExamples(): number {
    return this.dataset(DEFAULT_SLICE_NAME).numExamples;
  }

  /** Slices made by --slice-by (the "All Examples" dataset not counted). */
  get sliceCount(): number {
    return this.datasets.size - 1;
  }

  /** Values of a feature over all examples; 0 for a feature never present (or left out). */
  valueCount(feature: string): number {
    return this.dataset(DEFAULT_SLICE_NAME).features.get(feature)?.totNumValues ?? 0;
  }

  /**
   * One DatasetFeatureStatistics per slice, "All Examples" first. A feature's type comes from the whole
   * input (as TFDV takes it from the Arrow column), so every slice lists every feature with the same type.
   */
  toStatistics(options: StatisticsOptions): DatasetFeatureStatisticsList {
    const all = this.dataset(DEFAULT_SLICE_NAME);
    const names = [...all.features.keys()].sort(compareCodePoints);
    const types = new Map(names.map((n) => [n, statsTypeOf((all.features.get(n) as FeatureAccumulator).widestType)]));
    const sliceNames = [...this.datasets.keys()].filter((n) => n !== DEFAULT_SLICE_NAME).sort(compareCodePoints);
    const datasets: DatasetFeatureStatistics[] = [DEFAULT_SLICE_NAME, ...sliceNames].map((datasetName) => {
      const dataset = this.dataset(datasetName);
      return {
        name: datasetName,
        num_examples: dataset.numExamples,
        features: names.map((n) => featureStatistics(n, types.get(n) ?? 'STRING', dataset.features.get(n), dataset.numExamples, options)),
      };
    });
    return { datasets };
  }

  toState(): StatisticsAccumulatorState {
    return {
      sliceBy: [...this.sliceBy],
      sizes: this.sizes,
      datasets: [...this.datasets.values()].map((d) => ({
        name: d.name,
        numExamples: d.numExamples,
        features: Object.fromEntries([...d.features].map(([name, acc]) => [name, acc.toState()])),
      })),
    };
  }

  static fromState(state: StatisticsAccumulatorState): StatisticsAccumulator {
    const acc = new StatisticsAccumulator(state.sliceBy, state.sizes, Infinity);
    for (const d of state.datasets) {
      const dataset = acc.dataset(d.name);
      dataset.numExamples = d.numExamples;
      for (const [name, feature] of Object.entries(d.features)) {
        dataset.features.set(name, FeatureAccumulator.fromState(feature, state.sizes));
      }
    }
    return acc;
  }

  private dataset(name: string): DatasetAccumulator {
    let dataset = this.datasets.get(name);
    if (dataset === undefined) {
      // +1: the "All Examples" dataset is not a slice.
      if (this.datasets.size >= this.maxSlices + 1) {
        throw new ServingError(
          'RESOURCE_EXHAUSTED',
          `--slice-by ${this.sliceBy.join(',')} makes more than ${this.maxSlices} slices (at "${name}"); raise --max-slices or slice by a feature with fewer values`,
        );
      }
      dataset = new DatasetAccumulator(name, this.sizes, this.excluded);
      this.datasets.set(name, dataset);
    }
    return dataset;
  }
}

/** Slice keys of one example: the cross product of its distinct values of each slicing feature. */
function sliceKeys(example: Example, sliceBy: readonly string[]): string[] {
  if (sliceBy.length === 0) return [];
  let keys = [''];
  for (const feature of sliceBy) {
    const list = example.get(feature);
    if (list === undefined || list.values.length === 0) return [];
    const values = [...new Set(list.values.map((v) => String(v)))];
    keys = keys.flatMap((prefix) => values.map((v) => `${prefix === '' ? '' : `${prefix}_`}${feature}_${v}`));
  }
  return keys;
}


/** The rows of each slice of a batch, slices in the order their first row comes (as sliceKeys over its rows). */
function batchSliceRows(batch: ColumnBatch, sliceBy: readonly string[]): Map<string, number[]> {
  const columns = sliceBy.map((name) => batch.columns.find((c) => c.name === name));
  const slices = new Map<string, number[]>();
  if (columns.some((c) => c === undefined)) return slices;
  for (let row = 0; row < batch.rowCount; row++) {
    let key = '';
    let complete = true;
    for (let i = 0; i < sliceBy.length; i++) {
      const column = columns[i] as BatchColumn;
      if (!isPresent(column.validity, row)) {
        complete = false;
        break;
      }
      const value = column.kind === 'number' ? String(column.values[row]) : (column.dictionary.strings[column.ids[row]!] as string);
      key = `${key === '' ? '' : `${key}_`}${sliceBy[i]}_${value}`;
    }
    if (!complete) continue;
    let rows = slices.get(key);
    if (rows === undefined) {
      rows = [];
      slices.set(key, rows);
    }
    rows.push(row);
  }
  return slices;
}
