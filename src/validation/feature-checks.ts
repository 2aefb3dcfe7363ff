/**
 * Per-feature checks of statistics against a schema feature, in TFDV's order (`Schema::UpdateFeatureInternal`):
 * value counts, shape, presence, type, domain, unique constraints. Descriptions are TFDV's, word for word.
 */
import { reason } from './anomaly-reason.js';
import { sixDigits } from './number-format.js';
import { schemaTypeOf, stringValues } from './schema-inference.js';
import type { AnomalyReason, BoolDomain, FloatDomain, IntDomain, Schema, SchemaFeature, StringDomain } from './schema-types.js';
import { commonStatsOf, type FeatureNameStatistics, type PresenceAndValencyStatistics } from './statistics-types.js';

const OUT_OF_RANGE = 'Out-of-range values';
const INVALID_VALUES = 'Invalid values';
const NON_BOOLEAN = 'Non-boolean values';
const INT64_TEXT = /^\s*[+-]?\d+\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*$/i;

export function checkFeature(stats: FeatureNameStatistics, feature: SchemaFeature, schema: Schema, numExamples: number): AnomalyReason[] {
  const reasons: AnomalyReason[] = [];
  if (feature.value_count !== undefined || feature.value_counts !== undefined) reasons.push(...checkValueCounts(stats, feature));
  if (feature.shape !== undefined) reasons.push(...checkShape(stats, feature));
  if (feature.presence !== undefined) reasons.push(...checkPresence(stats, feature, numExamples));
  const actualType = schemaTypeOf(stats.type);
  if (feature.type !== undefined && actualType !== feature.type) {
    reasons.push(reason('UNEXPECTED_DATA_TYPE', 'Unexpected data type', `Expected data of type: ${feature.type} but got ${stats.type ?? 'INT'}`));
  }
  reasons.push(...checkDomain(stats, feature, schema));
  if (feature.unique_constraints !== undefined) reasons.push(...checkUnique(stats, feature));
  return reasons;
}

function levelsOf(stats: FeatureNameStatistics): PresenceAndValencyStatistics[] {
  const common = commonStatsOf(stats) ?? {};
  return common.presence_and_valency_stats?.length ? common.presence_and_valency_stats : [common];
}

function checkValueCounts(stats: FeatureNameStatistics, feature: SchemaFeature): AnomalyReason[] {
  const levels = levelsOf(stats);
  const reasons: AnomalyReason[] = [];
  if (feature.value_count !== undefined) {
    if (levels.length > 1) {
      return [
        reason(
          'VALUE_NESTEDNESS_MISMATCH',
          'Mismatched value nest level',
          'This feature has a value_count, but the nestedness level of the feature > 1. For features with nestedness levels greater than 1, value_counts, not value_count, should be specified.',
        ),
      ];
    }
    const level = levels[0] ?? {};
    if (feature.value_count.min !== undefined && (level.min_num_values ?? 0) < feature.value_count.min) {
      reasons.push(reason('FEATURE_TYPE_LOW_NUMBER_VALUES', 'Missing values', 'Some examples have fewer values than expected.'));
    }
    if (feature.value_count.max !== undefined && (level.max_num_values ?? 0) > feature.value_count.max) {
      reasons.push(reason('FEATURE_TYPE_HIGH_NUMBER_VALUES', 'Superfluous values', 'Some examples have more values than expected.'));
    }
    return reasons;
  }
  const expected = feature.value_counts?.value_count ?? [];
  if (expected.length !== levels.length) {
    return [
      reason(
        'VALUE_NESTEDNESS_MISMATCH',
        'Mismatched value nest level',
        'The values have a different nest level than expected. Value counts will not be checked.',
      ),
    ];
  }
  expected.forEach((count, i) => {
    const level = levels[i] ?? {};
    if (count.min !== undefined && (level.min_num_values ?? 0) < count.min) {
      reasons.push(reason('FEATURE_TYPE_LOW_NUMBER_VALUES', 'Missing values', `Some examples have fewer values than expected at nestedness level ${i}.`));
    }
    if (count.max !== undefined && (level.max_num_values ?? 0) > count.max) {
      reasons.push(reason('FEATURE_TYPE_HIGH_NUMBER_VALUES', 'Superfluous values', `Some examples have more values than expected at nestedness level ${i}.`));
    }
  });
  return reasons;
}

function checkShape(stats: FeatureNameStatistics, feature: SchemaFeature): AnomalyReason[] {
  const levels = levelsOf(stats);
  let actual = 1;
  for (const level of levels) {
    const min = level.min_num_values ?? 0;
    if (min !== (level.max_num_values ?? 0) || min === 0) {
      actual = -1;
      break;
    }
    actual *= min;
  }
  const hasMissing = levels.some((l) => (l.num_missing ?? 0) !== 0);
  if (actual <= 0 || hasMissing) {
    return [
      reason(
        'INVALID_FEATURE_SHAPE',
        'Feature shape dropped',
        "The feature has a shape, but it's not always present (if the feature is nested, then it should always be present at each nested level) or its value lengths vary.",
      ),
    ];
  }
  const expected = (feature.shape?.dim ?? []).reduce((p, d) => p * (d.size ?? 0), 1);
  if (actual !== expected) {
    return [reason('INVALID_FEATURE_SHAPE', 'Feature shape dropped', `The feature has fixed value length ${actual} but it's not compatible with the specified shape.`)];
  }
  return [];
}

function checkPresence(stats: FeatureNameStatistics, feature: SchemaFeature, numExamples: number): AnomalyReason[] {
  const common = commonStatsOf(stats) ?? {};
  const present = common.num_non_missing ?? 0;
  const missing = common.num_missing ?? 0;
  const presence = feature.presence ?? {};
  const reasons: AnomalyReason[] = [];
  if (presence.min_count !== undefined && present < presence.min_count) {
    reasons.push(reason('FEATURE_TYPE_LOW_NUMBER_PRESENT', 'Column dropped', 'The feature was present in fewer examples than expected.'));
  }
  if (presence.min_fraction !== undefined && numExamples > 0) {
    if (present / numExamples < presence.min_fraction) {
      reasons.push(reason('FEATURE_TYPE_LOW_FRACTION_PRESENT', 'Column dropped', 'The feature was present in fewer examples than expected.'));
    }
    // A fraction a hair under 1.0 can hide in floating point; TFDV reports any missing example explicitly.
    if (presence.min_fraction === 1 && missing !== 0) {
      reasons.push(
        reason('FEATURE_TYPE_LOW_FRACTION_PRESENT', 'Column dropped', `The feature was expected everywhere, but was missing in ${sixDigits(missing)} examples.`),
      );
    }
  }
  return reasons;
}

function checkDomain(stats: FeatureNameStatistics, feature: SchemaFeature, schema: Schema): AnomalyReason[] {
  if (feature.domain !== undefined) {
    const domain = schema.string_domain?.find((d) => d.name === feature.domain);
    if (domain === undefined) {
      return [reason('INVALID_DOMAIN_SPECIFICATION', 'Invalid domain', `Unknown domain: ${feature.domain}`)];
    }
    return checkStringDomain(stats, feature, domain);
  }
  if (feature.string_domain !== undefined) return checkStringDomain(stats, feature, feature.string_domain);
  if (feature.int_domain !== undefined) return checkIntDomain(stats, feature.int_domain);
  if (feature.float_domain !== undefined) return checkFloatDomain(stats, feature.float_domain);
  if (feature.bool_domain !== undefined) return checkBoolDomain(stats, feature.bool_domain);
  return [];
}

function checkStringDomain(stats: FeatureNameStatistics, feature: SchemaFeature, domain: StringDomain): AnomalyReason[] {
  if ((stats.string_stats?.invalid_utf8_count ?? 0) > 0) {
    return [reason('ENUM_TYPE_INVALID_UTF8', 'Invalid UTF8 strings', 'Found strings that were not valid UTF8 strings.')];
  }
  const valid = new Set(domain.value ?? []);
  const missing = new Map<string, number>();
  for (const bucket of stats.string_stats?.rank_histogram?.buckets ?? []) {
    const label = bucket.label ?? '';
    if (!valid.has(label)) missing.set(label, (missing.get(label) ?? 0) + (bucket.sample_count ?? 0));
  }
  const missingCount = [...missing.values()].reduce((s, c) => s + c, 0);
  const total = commonStatsOf(stats)?.tot_num_values ?? 0;
  const minDomainMass = feature.distribution_constraints?.min_domain_mass;
  const maxOffDomain = minDomainMass === undefined ? 0 : 1 - minDomainMass;
  if (missingCount / total > maxOffDomain || (maxOffDomain === 0 && missing.size > 0)) {
    const listed = [...missing.keys()]
      .sort(byteOrder)
      .map((label) => `${cEscape(label)} (${percentage(missing.get(label) as number, total)})`)
      .join(', ');
    return [reason('ENUM_TYPE_UNEXPECTED_STRING_VALUES', 'Unexpected string values', `Examples contain values missing from the schema: ${listed}. `)];
  }
  return [];
}

function checkIntDomain(stats: FeatureNameStatistics, domain: IntDomain): AnomalyReason[] {
  let interval: { min: number; max: number } | undefined;
  if (stats.type === 'INT') {
    // Proto3 JSON omits zeros: an absent min or max is 0.
    interval = { min: stats.num_stats?.min ?? 0, max: stats.num_stats?.max ?? 0 };
  } else if (stats.type === 'STRING' || stats.type === 'BYTES') {
    for (const label of stringValues(stats)) {
      if (!INT64_TEXT.test(label)) {
        return [reason('INT_TYPE_NOT_INT_STRING', INVALID_VALUES, `String values that were not ints were found, such as "${label}".`)];
      }
      const v = Number(label);
      interval = interval === undefined ? { min: v, max: v } : { min: Math.min(interval.min, v), max: Math.max(interval.max, v) };
    }
  } else {
    return [reason('DOMAIN_INVALID_FOR_TYPE', INVALID_VALUES, `IntDomain incompatible with feature type ${schemaTypeOf(stats.type)}`)];
  }
  if (interval === undefined) return [];
  const reasons: AnomalyReason[] = [];
  if (domain.min !== undefined && domain.min > interval.min) {
    reasons.push(reason('INT_TYPE_SMALL_INT', OUT_OF_RANGE, `Unexpectedly small value: ${interval.min}.`));
  }
  if (domain.max !== undefined && domain.max < interval.max) {
    reasons.push(reason('INT_TYPE_BIG_INT', OUT_OF_RANGE, `Unexpectedly large value: ${interval.max}.`));
  }
  return reasons;
}

function checkFloatDomain(stats: FeatureNameStatistics, domain: FloatDomain): AnomalyReason[] {
  const reasons: AnomalyReason[] = [];
  if (domain.disallow_nan === true) {
    const hasNan =
      stats.type === 'FLOAT'
        ? (stats.num_stats?.histograms ?? []).some((h) => (h.num_nan ?? 0) > 0)
        : stats.type === 'STRING' && stringValues(stats).some((l) => FLOAT_TEXT.test(l) && /nan/i.test(l));
    if (hasNan) reasons.push(reason('FLOAT_TYPE_HAS_NAN', INVALID_VALUES, 'Float feature has NaN values.'));
  }
  let range: { min: number; max: number } | undefined;
  if (stats.type === 'FLOAT') range = { min: stats.num_stats?.min ?? 0, max: stats.num_stats?.max ?? 0 }; else if (stats.type === 'STRING' || stats.type === 'BYTES') {
    for (const label of stringValues(stats)) {
      if (!FLOAT_TEXT.test(label)) {
        return [...reasons, reason('FLOAT_TYPE_STRING_NOT_FLOAT', INVALID_VALUES, `String values that were not floats were found, such as "${label}".`)];
      }
      const v = Number(label.trim().replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
      if (Number.isNaN(v)) continue;
      range = range === undefined ? { min: v, max: v } : { min: Math.min(range.min, v), max: Math.max(range.max, v) };
    }
  }
  if (range === undefined) return reasons;
  // Domain bounds are proto `float`s; compare as float32 like TFDV does.
  const min = Math.fround(range.min);
  const max = Math.fround(range.max);
  if (domain.min !== undefined && min < domain.min) {
    reasons.push(reason('FLOAT_TYPE_SMALL_FLOAT', OUT_OF_RANGE, `Unexpectedly low values: ${sixDigits(min)}<${sixDigits(domain.min)}(upto six significant digits)`));
  }
  if (domain.max !== undefined && max > domain.max) {
    reasons.push(reason('FLOAT_TYPE_BIG_FLOAT', OUT_OF_RANGE, `Unexpectedly high value: ${sixDigits(max)}>${sixDigits(domain.max)}(upto six significant digits)`));
  }
  if (domain.disallow_inf === true && (!Number.isFinite(min) || !Number.isFinite(max))) {
    reasons.push(reason('FLOAT_TYPE_HAS_INF', INVALID_VALUES, 'Float feature has Inf values.'));
  }
  return reasons;
}

function checkBoolDomain(stats: FeatureNameStatistics, domain: BoolDomain): AnomalyReason[] {
  const num = stats.num_stats ?? {};
  const min = num.min ?? 0;
  const max = num.max ?? 0;
  if (stats.type === 'INT') {
    if (min < 0) return [reason('BOOL_TYPE_SMALL_INT', NON_BOOLEAN, `Integers (such as ${sixDigits(min)}) not in {0, 1}: converting to an integer.`)];
    if (max > 1) return [reason('BOOL_TYPE_BIG_INT', NON_BOOLEAN, `Integers (such as ${sixDigits(max)}) not in {0, 1}: converting to an integer.`)];
    return [];
  }
  if (stats.type === 'FLOAT') {
    for (const extreme of [min, max]) {
      if (extreme !== 0 && extreme !== 1) {
        return [reason('BOOL_TYPE_UNEXPECTED_FLOAT', NON_BOOLEAN, `Floats (such as ${sixDigits(extreme)}) not in {0, 1}: converting to float_domain.`)];
      }
    }
    // Histogram by histogram, as TFDV does: NaNs first, then any bucket with values that cannot be 0 or 1.
    for (const histogram of num.histograms ?? []) {
      if ((histogram.num_nan ?? 0) > 0) {
        return [reason('BOOL_TYPE_UNEXPECTED_FLOAT', NON_BOOLEAN, 'Floats (such as NaN) not in {0, 1}: converting to float_domain.')];
      }
      for (const bucket of histogram.buckets ?? []) {
        if ((bucket.sample_count ?? 0) <= 0) continue;
        const low = bucket.low_value ?? 0;
        const high = bucket.high_value ?? 0;
        if (high < 0) return [reason('BOOL_TYPE_UNEXPECTED_FLOAT', NON_BOOLEAN, 'Float values < 0 not in {0, 1}: converting to float_domain.')];
        if (low > 1) return [reason('BOOL_TYPE_UNEXPECTED_FLOAT', NON_BOOLEAN, 'Float values > 1 not in {0, 1}: converting to float_domain.')];
        if (high < 1 && low > 0) {
          return [reason('BOOL_TYPE_UNEXPECTED_FLOAT', NON_BOOLEAN, 'Float values falling between 0 and 1: converting to float_domain.')];
        }
      }
    }
    return [];
  }
  if (stats.type === 'STRING') {
    const valid = new Set([domain.true_value, domain.false_value].filter((v): v is string => v !== undefined));
    const unexpected = stringValues(stats).find((label) => !valid.has(label));
    if (unexpected !== undefined) {
      const sorted = [...valid].sort(byteOrder);
      const described = sorted.length === 0 ? '{}' : `{"${sorted.join('", "')}"}`;
      return [reason('BOOL_TYPE_UNEXPECTED_STRING', NON_BOOLEAN, `Saw unexpected value "${unexpected}" instead of ${described}.`)];
    }
  }
  return [];
}

function checkUnique(stats: FeatureNameStatistics, feature: SchemaFeature): AnomalyReason[] {
  const constraints = feature.unique_constraints ?? {};
  const unique = stats.string_stats?.unique;
  if (stats.string_stats === undefined || unique === undefined) {
    return [
      reason(
        'FEATURE_TYPE_NO_UNIQUE',
        'No unique values',
        'UniqueConstraints specified for the feature, but unique values were not counted (i.e., feature is not string or categorical).',
      ),
    ];
  }
  const reasons: AnomalyReason[] = [];
  if (unique < (constraints.min ?? 0)) {
    reasons.push(reason('FEATURE_TYPE_LOW_UNIQUE', 'Low number of unique values', `Expected at least ${constraints.min ?? 0} unique values but found only ${unique}.`));
  }
  // TFDV reads an unset max as 0 and flags every feature; an unset bound is treated as no bound here.
  if (constraints.max !== undefined && unique > constraints.max) {
    reasons.push(reason('FEATURE_TYPE_HIGH_UNIQUE', 'High number of unique values', `Expected no more than ${constraints.max} unique values but found ${unique}.`));
  }
  return reasons;
}

/** "<1%" below one percent, else "~⌊p⌋%"; "?" when the total is unknown. */
function percentage(count: number, total: number): string {
  if (total === 0) return '?';
  const percent = (100 * count) / total;
  return percent < 1 ? '<1%' : `~${Math.floor(percent)}%`;
}

/** absl::Utf8SafeCEscape: C escapes for quotes, backslash and control characters; UTF-8 text stays. */
function cEscape(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', "'": "\\'", '\\': '\\\\' };
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0) as number;
    out += named[c] ?? (code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, '0')}` : c);
  }
  return out;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
