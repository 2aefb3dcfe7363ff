/**
 * Turns a feature accumulator into TFDV's FeatureNameStatistics: common stats with the list-length quantiles,
 * numeric stats with STANDARD and QUANTILES histograms, or string stats with top values and the rank histogram.
 */
import { TypeRank } from './example-values.js';
import type { FeatureAccumulator } from './feature-accumulator.js';
import { QuantileSummary } from './sketches/kll-sketch.js';
import type {
  CommonStatistics,
  FeatureNameStatistics,
  Histogram,
  HistogramBucket,
  NumericStatistics,
  StatsFeatureType,
  StringStatistics,
} from './statistics-types.js';

/** TFDV's StatsOptions defaults. */
export interface StatisticsOptions {
  readonly numTopValues: number;
  readonly numRankHistogramBuckets: number;
  readonly numHistogramBuckets: number;
  readonly numQuantilesHistogramBuckets: number;
  readonly numValuesHistogramBuckets: number;
}

export const DEFAULT_STATISTICS_OPTIONS: StatisticsOptions = {
  numTopValues: 20,
  numRankHistogramBuckets: 1000,
  numHistogramBuckets: 10,
  numQuantilesHistogramBuckets: 10,
  numValuesHistogramBuckets: 10,
};

export function statsTypeOf(rank: TypeRank): StatsFeatureType {
  if (rank === TypeRank.Int) return 'INT';
  if (rank === TypeRank.Float) return 'FLOAT';
  return 'STRING';
}

export function featureStatistics(
  name: string,
  type: StatsFeatureType,
  acc: FeatureAccumulator | undefined,
  numExamples: number,
  options: StatisticsOptions,
): FeatureNameStatistics {
  const common = commonStatistics(acc, numExamples, options);
  const base = { path: { step: [name] }, type };
  if (type === 'INT' || type === 'FLOAT') return { ...base, num_stats: numericStatistics(acc, common, options) };
  return { ...base, string_stats: stringStatistics(acc, common, options) };
}

function commonStatistics(acc: FeatureAccumulator | undefined, numExamples: number, options: StatisticsOptions): CommonStatistics {
  const present = acc?.numNonMissing ?? 0;
  const common: CommonStatistics = { num_non_missing: present, num_missing: numExamples - present };
  if (acc === undefined || present === 0) return common;
  common.min_num_values = acc.minNumValues;
  common.max_num_values = acc.maxNumValues;
  common.avg_num_values = Math.fround(acc.totNumValues / present);
  common.num_values_histogram = quantilesHistogram(QuantileSummary.of(acc.valueCountSketch), options.numValuesHistogramBuckets);
  common.tot_num_values = acc.totNumValues;
  return common;
}

function numericStatistics(acc: FeatureAccumulator | undefined, common: CommonStatistics, options: StatisticsOptions): NumericStatistics {
  const stats: NumericStatistics = { common_stats: common };
  if (acc === undefined) return stats;
  const m = acc.numeric;
  const nonNan = m.finiteCount + m.numPosInf + m.numNegInf;
  if (nonNan === 0) {
    if (m.numNan > 0) stats.histograms = [{ num_nan: m.numNan, type: 'STANDARD' }, { num_nan: m.numNan, type: 'QUANTILES' }];
    return stats;
  }
  const summary = QuantileSummary.of(acc.valueSketch);
  stats.mean = meanOf(m.mean, m.numPosInf, m.numNegInf);
  stats.std_dev = m.numPosInf + m.numNegInf > 0 ? NaN : Math.sqrt(Math.max(0, m.m2 / m.finiteCount));
  stats.num_zeros = m.numZeros;
  stats.min = m.min;
  stats.median = summary.quantile(0.5);
  stats.max = m.max;
  const standard = standardHistogram(summary, acc, options.numHistogramBuckets);
  const quantiles = quantilesHistogram(summary, options.numQuantilesHistogramBuckets);
  if (m.numNan > 0) {
    standard.num_nan = m.numNan;
    quantiles.num_nan = m.numNan;
  }
  stats.histograms = [standard, quantiles];
  return stats;
}

function meanOf(finiteMean: number, posInf: number, negInf: number): number {
  if (posInf > 0 && negInf > 0) return NaN;
  if (posInf > 0) return Infinity;
  if (negInf > 0) return -Infinity;
  return finiteMean;
}

/**
 * Equal-width buckets over [finite min, finite max]; a value on a boundary belongs to the lower bucket
 * (low exclusive except in the first bucket, high inclusive). Counts are the sketch's item weights, so they
 * are exact while the sketch holds every value. ±inf get point buckets at the ends.
 */
function standardHistogram(summary: QuantileSummary, acc: FeatureAccumulator, bucketCount: number): Histogram {
  const m = acc.numeric;
  const buckets: HistogramBucket[] = [];
  if (m.numNegInf > 0) buckets.push({ low_value: -Infinity, high_value: -Infinity, sample_count: m.numNegInf });
  if (m.finiteCount > 0) {
    const low = m.finiteMin;
    const high = m.finiteMax;
    if (low === high) {
      buckets.push({ low_value: low, high_value: high, sample_count: m.finiteCount });
    } else {
      const width = (high - low) / bucketCount;
      const bounds = Array.from({ length: bucketCount + 1 }, (_, i) => (i === bucketCount ? high : low + i * width));
      const counts = new Array<number>(bucketCount).fill(0);
      summary.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        counts[bucketIndex(bounds, v)]! += summary.weights[i] as number;
      });
      for (let i = 0; i < bucketCount; i++) {
        buckets.push({ low_value: bounds[i] as number, high_value: bounds[i + 1] as number, sample_count: counts[i] as number });
      }
    }
  }
  if (m.numPosInf > 0) buckets.push({ low_value: Infinity, high_value: Infinity, sample_count: m.numPosInf });
  return { buckets, type: 'STANDARD' };
}

/** First bucket whose high bound is ≥ v. */
function bucketIndex(bounds: readonly number[], v: number): number {
  let lo = 1;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** Equal-mass buckets between the 0, 1/b, …, 1 quantiles; each holds total/b of the sample. */
function quantilesHistogram(summary: QuantileSummary, bucketCount: number): Histogram {
  const total = summary.totalWeight;
  const bounds = Array.from({ length: bucketCount + 1 }, (_, i) => summary.quantile(i / bucketCount));
  const buckets = Array.from({ length: bucketCount }, (_, i) => ({
    low_value: bounds[i] as number,
    high_value: bounds[i + 1] as number,
    sample_count: total / bucketCount,
  }));
  return { buckets, type: 'QUANTILES' };
}

function stringStatistics(acc: FeatureAccumulator | undefined, common: CommonStatistics, options: StatisticsOptions): StringStatistics {
  const stats: StringStatistics = { common_stats: common };
  if (acc === undefined || acc.stringCount === 0) return stats;
  const ranked = acc.topValueSketch.entries();
  stats.unique = acc.distinctCount;
  stats.top_values = ranked.slice(0, options.numTopValues).map(([value, frequency]) => ({ value, frequency }));
  stats.avg_length = Math.fround(acc.totalBytes / acc.stringCount);
  if (acc.invalidUtf8 > 0) stats.invalid_utf8_count = acc.invalidUtf8;
  stats.rank_histogram = {
    buckets: ranked.slice(0, options.numRankHistogramBuckets).map(([label, count], rank) => ({
      low_rank: rank,
      high_rank: rank,
      label,
      sample_count: count,
    })),
  };
  return stats;
}
