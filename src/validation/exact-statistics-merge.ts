/**
 * `stats merge` for statistics that have no sketch file — TFDV's own output, or ours without its
 * `.sketch.json`. What the statistics determine exactly is merged: example, presence and value counts, mean,
 * standard deviation (population, Chan's formula), zeros, min, max, average lengths and sizes, and for string
 * features whose every value is listed in the rank histogram, the value counts themselves (so unique, top
 * values and the rank histogram are exact too). Medians, histograms, partial top-value lists, weighted and
 * custom statistics cannot be merged from finished statistics: they are left out and named, never estimated.
 */
import { ServingError } from '../errors/serving-error.js';
import { compareCodePoints } from './sketches/misra-gries.js';
import {
  featureKey,
  type BytesStatistics,
  type CommonStatistics,
  type DatasetFeatureStatistics,
  type DatasetFeatureStatisticsList,
  type FeatureNameStatistics,
  type NumericStatistics,
  type StringStatistics,
} from './statistics-types.js';

/** TFDV's defaults, as `millrace stats` writes them. */
const TOP_VALUES = 20;
const RANK_HISTOGRAM_BUCKETS = 1000;

export interface ExactMerge {
  readonly statistics: DatasetFeatureStatisticsList;
  /** What could not be merged, e.g. "median and histograms of 3 numeric features"; empty when nothing was left out. */
  readonly notMerged: string[];
}

/** Merges statistics of disjoint parts of one data set, dataset by dataset (slices match by name). */
export function mergeStatisticsExactly(inputs: readonly { readonly file: string; readonly statistics: DatasetFeatureStatisticsList }[]): ExactMerge {
  const left = new LeftOut();
  const names: string[] = [];
  for (const { statistics } of inputs) for (const d of statistics.datasets ?? []) if (!names.includes(d.name ?? '')) names.push(d.name ?? '');
  const datasets = names.map((name) => {
    const parts = inputs.map(({ file, statistics }) => ({ file, dataset: (statistics.datasets ?? []).find((d) => (d.name ?? '') === name) }));
    return mergeDatasets(name, parts, left);
  });
  return { statistics: { datasets }, notMerged: left.describe() };
}

interface DatasetPart {
  readonly file: string;
  readonly dataset: DatasetFeatureStatistics | undefined;
}

function mergeDatasets(name: string, parts: readonly DatasetPart[], left: LeftOut): DatasetFeatureStatistics {
  const numExamples = parts.reduce((s, p) => s + (p.dataset?.num_examples ?? 0), 0);
  const keys: string[] = [];
  for (const part of parts) for (const f of part.dataset?.features ?? []) if (!keys.includes(featureKey(f))) keys.push(featureKey(f));
  const features = keys.map((key) => {
    // A part without the feature had it missing in every one of its examples.
    const present = parts.flatMap((p) => {
      const feature = p.dataset?.features?.find((f) => featureKey(f) === key);
      return feature === undefined ? [] : [{ file: p.file, feature, numExamples: p.dataset?.num_examples ?? 0 }];
    });
    const absentExamples = numExamples - present.reduce((s, p) => s + p.numExamples, 0);
    return mergeFeature(key, present, absentExamples, left);
  });
  const merged: DatasetFeatureStatistics = { name, num_examples: numExamples, features };
  if (parts.some((p) => p.dataset?.weighted_num_examples !== undefined)) left.add('weighted statistics');
  return merged;
}

interface FeaturePart {
  readonly file: string;
  readonly feature: FeatureNameStatistics;
}

function mergeFeature(key: string, parts: readonly FeaturePart[], absentExamples: number, left: LeftOut): FeatureNameStatistics {
  const first = parts[0]!.feature;
  for (const { file, feature } of parts) {
    if (feature.type !== first.type) {
      throw new ServingError('INVALID_ARGUMENT', `cannot merge feature "${key}": it is ${first.type} in ${parts[0]!.file} but ${feature.type} in ${file}`);
    }
  }
  const id = first.path !== undefined ? { path: first.path } : { name: first.name ?? '' };
  const common = (f: FeatureNameStatistics) => (f.num_stats ?? f.string_stats ?? f.bytes_stats ?? f.struct_stats)?.common_stats ?? {};
  const commonStats = mergeCommon(parts.map((p) => common(p.feature)), absentExamples, left);
  if (parts.some((p) => (p.feature.custom_stats ?? []).length > 0)) left.add('custom statistics');
  const out: FeatureNameStatistics = { ...id, type: first.type };
  if (first.num_stats !== undefined) out.num_stats = mergeNumeric(parts.map((p) => p.feature.num_stats ?? {}), commonStats, left);
  else if (first.string_stats !== undefined) out.string_stats = mergeStrings(parts.map((p) => p.feature.string_stats ?? {}), commonStats, left);
  else if (first.bytes_stats !== undefined) out.bytes_stats = mergeBytes(parts.map((p) => p.feature.bytes_stats ?? {}), commonStats, left);
  else if (first.struct_stats !== undefined) out.struct_stats = { common_stats: commonStats };
  return out;
}

function mergeCommon(parts: readonly CommonStatistics[], absentExamples: number, left: LeftOut): CommonStatistics {
  const present = parts.filter((c) => (c.num_non_missing ?? 0) > 0);
  const numNonMissing = sum(parts, (c) => c.num_non_missing);
  const tot = sum(parts, (c) => c.tot_num_values);
  const merged: CommonStatistics = {
    num_non_missing: numNonMissing,
    num_missing: sum(parts, (c) => c.num_missing) + absentExamples,
    min_num_values: present.length === 0 ? 0 : Math.min(...present.map((c) => c.min_num_values ?? 0)),
    max_num_values: present.length === 0 ? 0 : Math.max(...present.map((c) => c.max_num_values ?? 0)),
    avg_num_values: numNonMissing === 0 ? 0 : tot / numNonMissing,
    tot_num_values: tot,
  };
  if (parts.some((c) => c.num_values_histogram !== undefined)) left.add('num-values histograms');
  if (parts.some((c) => (c as { weighted_common_stats?: unknown }).weighted_common_stats !== undefined)) left.add('weighted statistics');
  const levels = parts.map((c) => c.presence_and_valency_stats ?? []);
  if (levels.some((l) => l.length > 0)) {
    if (levels.every((l) => l.length === levels[0]!.length)) {
      merged.presence_and_valency_stats = levels[0]!.map((_, i) => {
        const at = levels.map((l) => l[i]!);
        const withValues = at.filter((v) => (v.num_non_missing ?? 0) > 0);
        return {
          num_non_missing: sum(at, (v) => v.num_non_missing),
          num_missing: sum(at, (v) => v.num_missing) + (i === 0 ? absentExamples : 0),
          min_num_values: withValues.length === 0 ? 0 : Math.min(...withValues.map((v) => v.min_num_values ?? 0)),
          max_num_values: withValues.length === 0 ? 0 : Math.max(...withValues.map((v) => v.max_num_values ?? 0)),
          tot_num_values: sum(at, (v) => v.tot_num_values),
        };
      });
    } else {
      left.add('presence and valency of nest levels that differ between the files');
    }
  }
  return merged;
}

function mergeNumeric(parts: readonly NumericStatistics[], common: CommonStatistics, left: LeftOut): NumericStatistics {
  // Values that count in the mean: all but NaNs (which the histograms count).
  const counted = parts.map((n) => (n.common_stats?.tot_num_values ?? 0) - (n.histograms?.[0]?.num_nan ?? 0));
  const n = counted.reduce((s, c) => s + c, 0);
  const withValues = parts.filter((_, i) => counted[i]! > 0);
  const mean = n === 0 ? 0 : parts.reduce((s, p, i) => s + (counted[i]! === 0 ? 0 : counted[i]! * (p.mean ?? 0)), 0) / n;
  const merged: NumericStatistics = {
    common_stats: common,
    mean,
    num_zeros: sum(parts, (p) => p.num_zeros),
    min: withValues.length === 0 ? 0 : Math.min(...withValues.map((p) => p.min ?? 0)),
    max: withValues.length === 0 ? 0 : Math.max(...withValues.map((p) => p.max ?? 0)),
  };
  // Population variance of the union from each part's count, mean and variance; infinities make it undefined.
  if (withValues.every((p) => Number.isFinite(p.mean ?? 0) && Number.isFinite(p.std_dev ?? 0))) {
    const m2 = parts.reduce((s, p, i) => (counted[i]! === 0 ? s : s + counted[i]! * ((p.std_dev ?? 0) ** 2 + ((p.mean ?? 0) - mean) ** 2)), 0);
    merged.std_dev = n === 0 ? 0 : Math.sqrt(Math.max(0, m2 / n));
  } else {
    left.add('standard deviations of features with infinite values');
  }
  if (parts.some((p) => p.median !== undefined)) left.add('medians');
  if (parts.some((p) => (p.histograms ?? []).length > 0)) left.add('histograms');
  if (parts.some((p) => (p as { weighted_numeric_stats?: unknown }).weighted_numeric_stats !== undefined)) left.add('weighted statistics');
  return merged;
}

function mergeStrings(parts: readonly StringStatistics[], common: CommonStatistics, left: LeftOut): StringStatistics {
  const tot = common.tot_num_values ?? 0;
  const merged: StringStatistics = {
    common_stats: common,
    avg_length: tot === 0 ? 0 : parts.reduce((s, p) => s + (p.avg_length ?? 0) * (p.common_stats?.tot_num_values ?? 0), 0) / tot,
  };
  // Every value is listed when the rank histogram has as many buckets as there are distinct values.
  const complete = parts.every((p) => (p.rank_histogram?.buckets ?? []).length === (p.unique ?? 0));
  if (complete) {
    const counts = new Map<string, number>();
    for (const p of parts) for (const b of p.rank_histogram?.buckets ?? []) counts.set(b.label ?? '', (counts.get(b.label ?? '') ?? 0) + (b.sample_count ?? 0));
    // TFDV's order: count descending, ties by the larger value first.
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(b[0], a[0]));
    merged.unique = counts.size;
    merged.top_values = ranked.slice(0, TOP_VALUES).map(([value, frequency]) => ({ value, frequency }));
    merged.rank_histogram = {
      buckets: ranked.slice(0, RANK_HISTOGRAM_BUCKETS).map(([label, sample_count], rank) => ({ low_rank: rank, high_rank: rank, label, sample_count })),
    };
  } else {
    left.add('unique, top values and rank histograms of string features with more values than are listed');
  }
  const invalid = sum(parts, (p) => p.invalid_utf8_count);
  if (invalid > 0) merged.invalid_utf8_count = invalid;
  if (parts.some((p) => (p as { weighted_string_stats?: unknown }).weighted_string_stats !== undefined)) left.add('weighted statistics');
  return merged;
}

function mergeBytes(parts: readonly BytesStatistics[], common: CommonStatistics, left: LeftOut): BytesStatistics {
  if (parts.some((p) => p.unique !== undefined)) left.add('unique counts of bytes features');
  const tot = common.tot_num_values ?? 0;
  const withValues = parts.filter((p) => (p.common_stats?.tot_num_values ?? 0) > 0);
  return {
    common_stats: common,
    avg_num_bytes: tot === 0 ? 0 : parts.reduce((s, p) => s + (p.avg_num_bytes ?? 0) * (p.common_stats?.tot_num_values ?? 0), 0) / tot,
    min_num_bytes: withValues.length === 0 ? 0 : Math.min(...withValues.map((p) => p.min_num_bytes ?? 0)),
    max_num_bytes: withValues.length === 0 ? 0 : Math.max(...withValues.map((p) => p.max_num_bytes ?? 0)),
    max_num_bytes_int: withValues.length === 0 ? 0 : Math.max(...withValues.map((p) => p.max_num_bytes_int ?? 0)),
  };
}

const sum = <T>(items: readonly T[], get: (item: T) => number | undefined): number => items.reduce((s, item) => s + (get(item) ?? 0), 0);

/** The kinds of statistics left out, each once, in the order first met. */
class LeftOut {
  private readonly kinds: string[] = [];

  add(kind: string): void {
    if (!this.kinds.includes(kind)) this.kinds.push(kind);
  }

  describe(): string[] {
    return [...this.kinds];
  }
}
