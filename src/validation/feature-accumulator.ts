/**
 * Everything TFDV reports about one feature, gathered in one pass in bounded memory: presence and valency
 * counts, exact moments (Chan's parallel mean/variance), a KLL sketch of values and of list lengths,
 * Misra-Gries top values and a KMV distinct count. Accumulators merge, and serialise to plain JSON so
 * statistics of shards can be combined later.
 */
import type { NumberColumn, StringColumn } from './column-batch.js';
import { classifyText, TypeRank, type FeatureValues } from './example-values.js';
import { KllSketch, type KllSketchState } from './sketches/kll-sketch.js';
import { KmvSketch, type KmvSketchState } from './sketches/kmv-sketch.js';
import { MisraGries, type MisraGriesState } from './sketches/misra-gries.js';

export interface SketchSizes {
  readonly quantileK: number;
  readonly topKCapacity: number;
  readonly distinctSlots: number;
}

export interface FeatureAccumulatorState {
  readonly widestType: TypeRank;
  readonly numNonMissing: number;
  readonly minNumValues: number;
  readonly maxNumValues: number;
  readonly totNumValues: number;
  readonly valueCounts: KllSketchState;
  readonly numeric: NumericMoments;
  readonly quantiles: KllSketchState;
  readonly topValues: MisraGriesState;
  readonly distinct: KmvSketchState;
  readonly stringCount: number;
  readonly totalBytes: number;
  readonly numbersWithoutStrings: number;
  /** Absent in sketch files written before it was counted. */
  readonly invalidUtf8?: number;
}

/** Exact numeric summaries; mean and m2 cover finite values only, infinities are counted apart. */
export interface NumericMoments {
  finiteCount: number;
  mean: number;
  m2: number;
  numZeros: number;
  numNan: number;
  numPosInf: number;
  numNegInf: number;
  min: number;
  max: number;
  finiteMin: number;
  finiteMax: number;
}

const emptyMoments = (): NumericMoments => ({
  finiteCount: 0,
  mean: 0,
  m2: 0,
  numZeros: 0,
  numNan: 0,
  numPosInf: 0,
  numNegInf: 0,
  min: Infinity,
  max: -Infinity,
  finiteMin: Infinity,
  finiteMax: -Infinity,
});

export class FeatureAccumulator {
  widestType: TypeRank = TypeRank.Unknown;
  numNonMissing = 0;
  minNumValues = Infinity;
  maxNumValues = 0;
  totNumValues = 0;
  stringCount = 0;
  totalBytes = 0;
  /** String values that were bytes but not UTF-8 (TFDV's invalid_utf8_count). */
  invalidUtf8 = 0;
  /** Numbers from fixed-type sources, not counted in the string summaries (see FeatureValues.fixedType). */
  numbersWithoutStrings = 0;
  numeric: NumericMoments = emptyMoments();
  private valueCounts: KllSketch;
  private quantiles: KllSketch;
  private topValues: MisraGries;
  private distinct: KmvSketch;

  constructor(readonly sizes: SketchSizes) {
    this.valueCounts = new KllSketch(sizes.quantileK);
    this.quantiles = new KllSketch(sizes.quantileK);
    this.topValues = new MisraGries(sizes.topKCapacity);
    this.distinct = new KmvSketch(sizes.distinctSlots);
  }

  add(list: FeatureValues): void {
    const values = list.values;
    this.numNonMissing++;
    this.totNumValues += values.length;
    if (values.length < this.minNumValues) this.minNumValues = values.length;
    if (values.length > this.maxNumValues) this.maxNumValues = values.length;
    this.valueCounts.add(values.length);
    // A typed source (tf.Example lists, Parquet columns) types the feature even by an empty list.
    if (list.fixedType === true && (list.kind === 'int' || list.kind === 'float')) this.widen(list.kind === 'int' ? TypeRank.Int : TypeRank.Float);
    if (list.byteLength !== undefined) {
      this.addBytesRead(values as readonly string[], list.byteLength, list.invalidUtf8 ?? 0);
      return;
    }
    for (const value of values) {
      if (list.kind === 'text') this.addText(value as string);
      else if (list.kind === 'string') this.addString(value as string);
      else {
        this.widen(list.kind === 'int' ? TypeRank.Int : TypeRank.Float);
        this.addNumber(value as number);
        if (list.fixedType === true) this.numbersWithoutStrings++;
        else this.addString(String(value));
      }
    }
  }

  /**
   * The rows `rows` (all `count` rows when null) of a one-value-per-row number column; the same statistics as
   * adding each row's one-value list (with a fixed type), in one tight loop.
   */
  addNumberColumn(column: NumberColumn, rows: Int32Array | null, count: number): void {
    const { values, validity } = column;
    const kept = scratchNumbers(count);
    let nonNan = 0;
    let present = 0;
    const m = this.numeric;
    let { finiteCount, mean, m2, numZeros, numNan, numPosInf, numNegInf, min, max, finiteMin, finiteMax } = m;
    for (let j = 0; j < count; j++) {
      const row = rows === null ? j : rows[j]!;
      if (validity !== null && (validity[row >> 3]! & (1 << (row & 7))) === 0) continue;
      present++;
      const x = values[row]!;
      if (x !== x) {
        numNan++;
        continue;
      }
      if (x < min) min = x;
      if (x > max) max = x;
      kept[nonNan++] = x;
      if (x === Infinity) numPosInf++;
      else if (x === -Infinity) numNegInf++;
      else {
        if (x === 0) numZeros++;
        if (x < finiteMin) finiteMin = x;
        if (x > finiteMax) finiteMax = x;
        finiteCount++;
        const delta = x - mean;
        mean += delta / finiteCount;
        m2 += delta * (x - mean);
      }
    }
    this.numeric = { finiteCount, mean, m2, numZeros, numNan, numPosInf, numNegInf, min, max, finiteMin, finiteMax };
    if (present === 0) return;
    this.widen(column.valueKind === 'int' ? TypeRank.Int : TypeRank.Float);
    this.quantiles.addAll(kept, nonNan);
    this.numbersWithoutStrings += present;
    this.addSingleValueRows(present);
  }

  /** The rows of a one-value-per-row string column: each distinct string of the batch is counted and hashed once. */
  addStringColumn(column: StringColumn, rows: Int32Array | null, count: number): void {
    const { ids, validity, dictionary } = column;
    const counts = scratchCounts(dictionary.strings.length);
    const seen = scratchIds(count);
    let distinct = 0;
    let present = 0;
    for (let j = 0; j < count; j++) {
      const row = rows === null ? j : rows[j]!;
      if (validity !== null && (validity[row >> 3]! & (1 << (row & 7))) === 0) continue;
      present++;
      const id = ids[row]!;
      const before = counts[id]!;
      counts[id] = before + 1;
      if (before === 0) seen[distinct++] = id;
    }
    for (let i = 0; i < distinct; i++) {
      const id = seen[i]!;
      const times = counts[id]!;
      counts[id] = 0;
      this.stringCount += times;
      this.totalBytes += dictionary.byteLengths[id]! * times;
      this.topValues.add(dictionary.strings[id]!, times);
      this.distinct.addHash(dictionary.hashes[id]!);
    }
    if (present > 0) this.addSingleValueRows(present);
  }

  merge(other: FeatureAccumulator): void {
    this.widen(other.widestType);
    this.numNonMissing += other.numNonMissing;
    this.totNumValues += other.totNumValues;
    this.minNumValues = Math.min(this.minNumValues, other.minNumValues);
    this.maxNumValues = Math.max(this.maxNumValues, other.maxNumValues);
    this.valueCounts.merge(other.valueCounts);
    this.quantiles.merge(other.quantiles);
    this.topValues.merge(other.topValues);
    this.distinct.merge(other.distinct);
    this.stringCount += other.stringCount;
    this.totalBytes += other.totalBytes;
    this.numbersWithoutStrings += other.numbersWithoutStrings;
    this.invalidUtf8 += other.invalidUtf8;
    this.numeric = mergeMoments(this.numeric, other.numeric);
  }

  get valueCountSketch(): KllSketch {
    return this.valueCounts;
  }

  get valueSketch(): KllSketch {
    return this.quantiles;
  }

  get topValueSketch(): MisraGries {
    return this.topValues;
  }

  get distinctCount(): number {
    return this.distinct.estimate();
  }

  toState(): FeatureAccumulatorState {
    return {
      widestType: this.widestType,
      numNonMissing: this.numNonMissing,
      minNumValues: this.minNumValues,
      maxNumValues: this.maxNumValues,
      totNumValues: this.totNumValues,
      valueCounts: this.valueCounts.toState(),
      numeric: { ...this.numeric },
      quantiles: this.quantiles.toState(),
      topValues: this.topValues.toState(),
      distinct: this.distinct.toState(),
      stringCount: this.stringCount,
      totalBytes: this.totalBytes,
      numbersWithoutStrings: this.numbersWithoutStrings,
      invalidUtf8: this.invalidUtf8,
    };
  }

  static fromState(state: FeatureAccumulatorState, sizes: SketchSizes): FeatureAccumulator {
    const acc = new FeatureAccumulator(sizes);
    acc.widestType = state.widestType;
    acc.numNonMissing = state.numNonMissing;
    acc.minNumValues = state.minNumValues;
    acc.maxNumValues = state.maxNumValues;
    acc.totNumValues = state.totNumValues;
    acc.valueCounts = KllSketch.fromState(state.valueCounts);
    acc.numeric = { ...state.numeric };
    acc.quantiles = KllSketch.fromState(state.quantiles);
    acc.topValues = MisraGries.fromState(state.topValues);
    acc.distinct = KmvSketch.fromState(state.distinct);
    acc.stringCount = state.stringCount;
    acc.totalBytes = state.totalBytes;
    acc.numbersWithoutStrings = state.numbersWithoutStrings;
    acc.invalidUtf8 = state.invalidUtf8 ?? 0;
    return acc;
  }

  /** Presence and valency of `rows` rows with one value each. */
  private addSingleValueRows(rows: number): void {
    this.numNonMissing += rows;
    this.totNumValues += rows;
    if (this.minNumValues > 1) this.minNumValues = 1;
    if (this.maxNumValues < 1) this.maxNumValues = 1;
    this.valueCounts.addRepeated(1, rows);
  }

  private widen(rank: TypeRank): void {
    if (rank > this.widestType) this.widestType = rank;
  }

  private addText(text: string): void {
    const { rank, value } = classifyText(text);
    this.widen(rank);
    if (rank !== TypeRank.String) this.addNumber(value);
    this.addString(text);
  }

  /** Strings read from bytes: lengths are the bytes' as read; values that were not UTF-8 are counted. */
  private addBytesRead(values: readonly string[], byteLength: number, invalidUtf8: number): void {
    for (const text of values) {
      this.stringCount++;
      this.topValues.add(text);
      this.distinct.add(text);
    }
    this.totalBytes += byteLength;
    this.invalidUtf8 += invalidUtf8;
  }

  // Every value also feeds the string summaries: a column only learns it is STRING when a non-number
  // arrives, and by then its earlier values must already be counted as strings.
  private addString(text: string): void {
    this.stringCount++;
    this.totalBytes += Buffer.byteLength(text, 'utf8');
    this.topValues.add(text);
    this.distinct.add(text);
  }

  private addNumber(x: number): void {
    const m = this.numeric;
    if (Number.isNaN(x)) {
      m.numNan++;
      return;
    }
    if (x < m.min) m.min = x;
    if (x > m.max) m.max = x;
    this.quantiles.add(x);
    if (x === Infinity) m.numPosInf++;
    else if (x === -Infinity) m.numNegInf++;
    else {
      if (x === 0) m.numZeros++;
      if (x < m.finiteMin) m.finiteMin = x;
      if (x > m.finiteMax) m.finiteMax = x;
      m.finiteCount++;
      const delta = x - m.mean;
      m.mean += delta / m.finiteCount;
      m.m2 += delta * (x - m.mean);
    }
  }
}

// Scratch space of the column loops, reused across calls (they run to completion one at a time).
let numberScratch = new Float64Array(4096);
let countScratch = new Int32Array(1024);
let idScratch = new Int32Array(4096);

function scratchNumbers(length: number): Float64Array {
  if (numberScratch.length < length) numberScratch = new Float64Array(length);
  return numberScratch;
}

/** Zero-filled; callers leave it zero-filled. */
function scratchCounts(length: number): Int32Array {
  if (countScratch.length < length) countScratch = new Int32Array(Math.max(length, 2 * countScratch.length));
  return countScratch;
}

function scratchIds(length: number): Int32Array {
  if (idScratch.length < length) idScratch = new Int32Array(length);
  return idScratch;
}

/** Chan et al.'s parallel combination of (count, mean, M2); an empty side leaves the other's exactly as it is. */
function mergeMoments(a: NumericMoments, b: NumericMoments): NumericMoments {
  const n = a.finiteCount + b.finiteCount;
  const delta = b.mean - a.mean;
  let mean = n === 0 ? 0 : a.mean + (delta * b.finiteCount) / n;
  let m2 = n === 0 ? 0 : a.m2 + b.m2 + (delta * delta * a.finiteCount * b.finiteCount) / n;
  if (a.finiteCount === 0) ({ mean, m2 } = b);
  else if (b.finiteCount === 0) ({ mean, m2 } = a);
  return {
    finiteCount: n,
    mean,
    m2,
    numZeros: a.numZeros + b.numZeros,
    numNan: a.numNan + b.numNan,
    numPosInf: a.numPosInf + b.numPosInf,
    numNegInf: a.numNegInf + b.numNegInf,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    finiteMin: Math.min(a.finiteMin, b.finiteMin),
    finiteMax: Math.max(a.finiteMax, b.finiteMax),
  };
}
