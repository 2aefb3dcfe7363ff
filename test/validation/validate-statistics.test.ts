import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Schema, SchemaFeature } from '../../src/validation/schema-types.js';
import type { DatasetFeatureStatisticsList, FeatureNameStatistics } from '../../src/validation/statistics-types.js';
import { validateStatistics } from '../../src/validation/validate-statistics.js';
import { statisticsOf, withTempDir } from './support.js';

const common = (present: number, missing: number, minValues = 1, maxValues = 1, tot = present) => ({
  num_non_missing: present,
  num_missing: missing,
  min_num_values: minValues,
  max_num_values: maxValues,
  tot_num_values: tot,
});

function strings(name: string, values: Record<string, number>, missing = 0): FeatureNameStatistics {
  const entries = Object.entries(values);
  const tot = entries.reduce((s, [, c]) => s + c, 0);
  return {
    path: { step: [name] },
    type: 'STRING',
    string_stats: {
      common_stats: common(tot, missing, 1, 1, tot),
      unique: entries.length,
      rank_histogram: { buckets: entries.map(([label, sample_count], i) => ({ low_rank: i, high_rank: i, label, sample_count })) },
    },
  };
}

function numbers(name: string, type: 'INT' | 'FLOAT', min: number, max: number, extra: Partial<NonNullable<FeatureNameStatistics['num_stats']>> = {}): FeatureNameStatistics {
  return { path: { step: [name] }, type, num_stats: { common_stats: common(10, 0), min, max, ...extra } };
}

const stats = (numExamples: number, ...features: FeatureNameStatistics[]): DatasetFeatureStatisticsList => ({
  datasets: [{ name: 'All Examples', num_examples: numExamples, features }],
});

function reasonsOf(statistics: DatasetFeatureStatisticsList, feature: SchemaFeature, extra: Partial<Schema> = {}) {
  const anomalies = validateStatistics({ statistics, schema: { feature: [feature], ...extra } });
  return anomalies.anomaly_info[feature.name ?? '']?.reason ?? [];
}

describe('validate statistics against a schema', () => {
  it('reports nothing for conforming statistics', () => {
    const anomalies = validateStatistics({
      statistics: stats(10, strings('color', { red: 6, blue: 4 })),
      schema: { feature: [{ name: 'color', type: 'BYTES', domain: 'color', presence: { min_fraction: 1, min_count: 1 } }], string_domain: [{ name: 'color', value: ['blue', 'red'] }] },
    });
    expect(anomalies).toEqual({ anomaly_name_format: 'SERIALIZED_PATH', anomaly_info: {}, drift_skew_info: [] });
  });

  it('SCHEMA_NEW_COLUMN and SCHEMA_MISSING_COLUMN', () => {
    const anomalies = validateStatistics({
      statistics: stats(10, strings('extra', { a: 10 })),
      schema: { feature: [{ name: 'label', type: 'INT', presence: { min_count: 1 } }] },
    });
    expect(anomalies.anomaly_info).toEqual({
      extra: {
        path: { step: ['extra'] },
        severity: 'ERROR',
        short_description: 'New column',
        description: 'New column (column in data but not in schema)',
        reason: [{ type: 'SCHEMA_NEW_COLUMN', short_description: 'New column', description: 'New column (column in data but not in schema)' }],
      },
      label: {
        path: { step: ['label'] },
        severity: 'ERROR',
        short_description: 'Column dropped',
        description: 'Column is completely missing',
        reason: [{ type: 'SCHEMA_MISSING_COLUMN', short_description: 'Column dropped', description: 'Column is completely missing' }],
      },
    });
  });

  it('environments: a label not in SERVING is not required there; a new column warns when asked', () => {
    const schema: Schema = {
      default_environment: ['TRAINING', 'SERVING'],
      feature: [{ name: 'label', type: 'INT', presence: { min_count: 1 }, not_in_environment: ['SERVING'] }],
    };
    expect(validateStatistics({ statistics: stats(10), schema, environment: 'SERVING' }).anomaly_info).toEqual({});
    expect(Object.keys(validateStatistics({ statistics: stats(10), schema, environment: 'TRAINING' }).anomaly_info)).toEqual(['label']);
    const warned = validateStatistics({ statistics: stats(10, strings('x', { a: 10 })), schema, environment: 'SERVING', newFeaturesAreWarnings: true });
    expect(warned.anomaly_info['x']!.severity).toBe('WARNING');
    expect(() => validateStatistics({ statistics: stats(10), schema, environment: 'STAGING' })).toThrow('environment "STAGING" is not one of the schema\'s default_environment (TRAINING, SERVING)');
  });

  it('presence: LOW_NUMBER_PRESENT, LOW_FRACTION_PRESENT (both descriptions), NOT_PRESENT', () => {
    const half = strings('f', { a: 5 }, 5);
    const reasons = reasonsOf(stats(10, half), { name: 'f', type: 'BYTES', presence: { min_fraction: 1, min_count: 6 } });
    expect(reasons).toEqual([
      { type: 'FEATURE_TYPE_LOW_NUMBER_PRESENT', short_description: 'Column dropped', description: 'The feature was present in fewer examples than expected.' },
      { type: 'FEATURE_TYPE_LOW_FRACTION_PRESENT', short_description: 'Column dropped', description: 'The feature was present in fewer examples than expected.' },
      { type: 'FEATURE_TYPE_LOW_FRACTION_PRESENT', short_description: 'Column dropped', description: 'The feature was expected everywhere, but was missing in 5 examples.' },
    ]);
    const anomalies = validateStatistics({ statistics: stats(10, half), schema: { feature: [{ name: 'f', type: 'BYTES', presence: { min_fraction: 1 } }] } });
    expect(anomalies.anomaly_info['f']).toMatchObject({
      short_description: 'Multiple errors',
      description: 'The feature was present in fewer examples than expected. The feature was expected everywhere, but was missing in 5 examples.',
    });
    const absent: FeatureNameStatistics = { path: { step: ['g'] }, type: 'STRING', string_stats: { common_stats: { num_missing: 10 } } };
    expect(reasonsOf(stats(10, absent), { name: 'g', type: 'BYTES', presence: { min_count: 1 } })).toEqual([
      { type: 'FEATURE_TYPE_NOT_PRESENT', short_description: 'Column dropped', description: 'The feature was not present in any examples.' },
    ]);
  });

  it('value counts, nestedness and shape', () => {
    const listy: FeatureNameStatistics = { path: { step: ['v'] }, type: 'INT', num_stats: { common_stats: common(10, 0, 0, 4, 20) } };
    expect(reasonsOf(stats(10, listy), { name: 'v', type: 'INT', value_count: { min: 1, max: 3 } }).map((r) => [r.type, r.description])).toEqual([
      ['FEATURE_TYPE_LOW_NUMBER_VALUES', 'Some examples have fewer values than expected.'],
      ['FEATURE_TYPE_HIGH_NUMBER_VALUES', 'Some examples have more values than expected.'],
    ]);
    expect(reasonsOf(stats(10, listy), { name: 'v', type: 'INT', value_counts: { value_count: [{ min: 1 }, { min: 1 }] } })[0]).toEqual({
      type: 'VALUE_NESTEDNESS_MISMATCH',
      short_description: 'Mismatched value nest level',
      description: 'The values have a different nest level than expected. Value counts will not be checked.',
    });
    expect(reasonsOf(stats(10, listy), { name: 'v', type: 'INT', shape: { dim: [{ size: 2 }] } })[0]!.type).toBe('INVALID_FEATURE_SHAPE');
    const fixed: FeatureNameStatistics = { path: { step: ['v'] }, type: 'INT', num_stats: { common_stats: common(10, 0, 3, 3, 30) } };
    expect(reasonsOf(stats(10, fixed), { name: 'v', type: 'INT', shape: { dim: [{ size: 2 }] } })[0]!.description).toBe(
      "The feature has fixed value length 3 but it's not compatible with the specified shape.",
    );
  });

  it('UNEXPECTED_DATA_TYPE', () => {
    expect(reasonsOf(stats(10, numbers('x', 'FLOAT', 0, 1)), { name: 'x', type: 'INT' })).toEqual([
      { type: 'UNEXPECTED_DATA_TYPE', short_description: 'Unexpected data type', description: 'Expected data of type: INT but got FLOAT' },
    ]);
  });

  it('string domain: values missing from the schema with TFDV percentages, min_domain_mass, invalid domain', () => {
    const color = strings('color', { red: 150, blue: 49, purple: 1 });
    const feature: SchemaFeature = { name: 'color', type: 'BYTES', domain: 'color' };
    const domain = { string_domain: [{ name: 'color', value: ['red'] }] };
    expect(reasonsOf(stats(200, color), feature, domain)).toEqual([
      {
        type: 'ENUM_TYPE_UNEXPECTED_STRING_VALUES',
        short_description: 'Unexpected string values',
        description: 'Examples contain values missing from the schema: blue (~24%), purple (<1%). ',
      },
    ]);
    expect(reasonsOf(stats(200, color), { ...feature, distribution_constraints: { min_domain_mass: 0.7 } }, domain)).toEqual([]);
    expect(reasonsOf(stats(2, strings('color', { red: 1, 'say "hi"\n': 1 })), feature, domain)[0]!.description).toBe(
      'Examples contain values missing from the schema: say \\"hi\\"\\n (~50%). ',
    );
    expect(reasonsOf(stats(200, color), { name: 'color', type: 'BYTES', domain: 'nope' })[0]).toMatchObject({ type: 'INVALID_DOMAIN_SPECIFICATION' });
    const invalid = { ...strings('color', { red: 1 }), string_stats: { ...strings('color', { red: 1 }).string_stats, invalid_utf8_count: 1 } };
    expect(reasonsOf(stats(1, invalid), feature, domain)[0]).toMatchObject({ type: 'ENUM_TYPE_INVALID_UTF8', description: 'Found strings that were not valid UTF8 strings.' });
  });

  it('int domain: SMALL_INT, BIG_INT, NOT_INT_STRING, DOMAIN_INVALID_FOR_TYPE', () => {
    expect(reasonsOf(stats(10, numbers('n', 'INT', -2, 12)), { name: 'n', type: 'INT', int_domain: { min: 0, max: 10 } })).toEqual([
      { type: 'INT_TYPE_SMALL_INT', short_description: 'Out-of-range values', description: 'Unexpectedly small value: -2.' },
      { type: 'INT_TYPE_BIG_INT', short_description: 'Out-of-range values', description: 'Unexpectedly large value: 12.' },
    ]);
    expect(reasonsOf(stats(2, strings('s', { '1': 1, x: 1 })), { name: 's', type: 'BYTES', int_domain: {} })).toEqual([
      { type: 'INT_TYPE_NOT_INT_STRING', short_description: 'Invalid values', description: 'String values that were not ints were found, such as "x".' },
    ]);
    expect(reasonsOf(stats(10, numbers('f', 'FLOAT', 0, 1)), { name: 'f', type: 'FLOAT', int_domain: {} })[0]).toMatchObject({
      type: 'DOMAIN_INVALID_FOR_TYPE',
      description: 'IntDomain incompatible with feature type FLOAT',
    });
  });

  it('float domain: SMALL_FLOAT, BIG_FLOAT, HAS_NAN, HAS_INF, STRING_NOT_FLOAT', () => {
    const f = numbers('f', 'FLOAT', -0.5, Infinity, { histograms: [{ num_nan: 2, type: 'STANDARD' }] });
    expect(reasonsOf(stats(10, f), { name: 'f', type: 'FLOAT', float_domain: { min: 0, max: 1, disallow_nan: true, disallow_inf: true } })).toEqual([
      { type: 'FLOAT_TYPE_HAS_NAN', short_description: 'Invalid values', description: 'Float feature has NaN values.' },
      { type: 'FLOAT_TYPE_SMALL_FLOAT', short_description: 'Out-of-range values', description: 'Unexpectedly low values: -0.5<0(upto six significant digits)' },
      { type: 'FLOAT_TYPE_BIG_FLOAT', short_description: 'Out-of-range values', description: 'Unexpectedly high value: inf>1(upto six significant digits)' },
      { type: 'FLOAT_TYPE_HAS_INF', short_description: 'Invalid values', description: 'Float feature has Inf values.' },
    ]);
    expect(reasonsOf(stats(2, strings('s', { '1.5': 1, abc: 1 })), { name: 's', type: 'BYTES', float_domain: {} })[0]).toMatchObject({
      type: 'FLOAT_TYPE_STRING_NOT_FLOAT',
      description: 'String values that were not floats were found, such as "abc".',
    });
  });

  it('bool domain: SMALL_INT, BIG_INT, UNEXPECTED_FLOAT, UNEXPECTED_STRING', () => {
    expect(reasonsOf(stats(10, numbers('b', 'INT', -1, 1)), { name: 'b', type: 'INT', bool_domain: {} })[0]).toEqual({
      type: 'BOOL_TYPE_SMALL_INT',
      short_description: 'Non-boolean values',
      description: 'Integers (such as -1) not in {0, 1}: converting to an integer.',
    });
    expect(reasonsOf(stats(10, numbers('b', 'INT', 0, 2)), { name: 'b', type: 'INT', bool_domain: {} })[0]!.type).toBe('BOOL_TYPE_BIG_INT');
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 0, 0.5)), { name: 'b', type: 'FLOAT', bool_domain: {} })[0]!.description).toBe(
      'Floats (such as 0.5) not in {0, 1}: converting to float_domain.',
    );
    expect(reasonsOf(stats(3, strings('b', { yes: 1, no: 1, maybe: 1 })), { name: 'b', type: 'BYTES', bool_domain: { true_value: 'yes', false_value: 'no' } })[0]).toEqual({
      type: 'BOOL_TYPE_UNEXPECTED_STRING',
      short_description: 'Non-boolean values',
      description: 'Saw unexpected value "maybe" instead of {"no", "yes"}.',
    });
  });

  it('bool domain on FLOAT: BOOL_TYPE_UNEXPECTED_FLOAT for each of its five descriptions', () => {
    const boolFeature: SchemaFeature = { name: 'b', type: 'FLOAT', bool_domain: {} };
    const unexpected = (description: string) => [{ type: 'BOOL_TYPE_UNEXPECTED_FLOAT', short_description: 'Non-boolean values', description }];
    const histogram = (buckets: Array<[number, number, number]>, numNan = 0) => ({
      num_nan: numNan,
      type: 'STANDARD' as const,
      buckets: buckets.map(([low_value, high_value, sample_count]) => ({ low_value, high_value, sample_count })),
    });
    // min is looked at before max.
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', -0.25, 3)), boolFeature)).toEqual(unexpected('Floats (such as -0.25) not in {0, 1}: converting to float_domain.'));
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 1, 1234567)), boolFeature)).toEqual(unexpected('Floats (such as 1.23457e+06) not in {0, 1}: converting to float_domain.'));
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 0, 1, { histograms: [histogram([[0, 1, 9]], 1)] })), boolFeature)).toEqual(
      unexpected('Floats (such as NaN) not in {0, 1}: converting to float_domain.'),
    );
    const between = histogram([[0, 0.5, 4], [0.5, 0.75, 1], [0.75, 1, 5]]);
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 0, 1, { histograms: [between] })), boolFeature)).toEqual(
      unexpected('Float values falling between 0 and 1: converting to float_domain.'),
    );
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 0, 1, { histograms: [histogram([[-2, -1, 1], [0, 1, 9]])] })), boolFeature)).toEqual(
      unexpected('Float values < 0 not in {0, 1}: converting to float_domain.'),
    );
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 0, 1, { histograms: [histogram([[0, 1, 9], [1.5, 2, 1]])] })), boolFeature)).toEqual(
      unexpected('Float values > 1 not in {0, 1}: converting to float_domain.'),
    );
    // Only 0 and 1, empty buckets in between: conforming.
    expect(reasonsOf(stats(10, numbers('b', 'FLOAT', 0, 1, { histograms: [histogram([[0, 0.1, 4], [0.4, 0.5, 0], [0.9, 1, 6]])] })), boolFeature)).toEqual([]);
  });

  it('bool domain on FLOAT statistics computed from data: a 0.5 between 0 and 1 is found by its histogram bucket', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'flags.csv'), 'b\n0.0\n1.0\n0.5\n1.0\n0.0\n');
      const anomalies = validateStatistics({ statistics: await statisticsOf([join(dir, 'flags.csv')]), schema: { feature: [{ name: 'b', type: 'FLOAT', bool_domain: {} }] } });
      expect(anomalies.anomaly_info['b']).toEqual({
        path: { step: ['b'] },
        severity: 'ERROR',
        short_description: 'Non-boolean values',
        description: 'Float values falling between 0 and 1: converting to float_domain.',
        reason: [{ type: 'BOOL_TYPE_UNEXPECTED_FLOAT', short_description: 'Non-boolean values', description: 'Float values falling between 0 and 1: converting to float_domain.' }],
      });
    });
  });

  it('unique constraints: LOW_UNIQUE, HIGH_UNIQUE, NO_UNIQUE', () => {
    const s = strings('s', { a: 1, b: 1, c: 1 });
    expect(reasonsOf(stats(3, s), { name: 's', type: 'BYTES', unique_constraints: { min: 4 } })[0]).toMatchObject({
      type: 'FEATURE_TYPE_LOW_UNIQUE',
      description: 'Expected at least 4 unique values but found only 3.',
    });
    expect(reasonsOf(stats(3, s), { name: 's', type: 'BYTES', unique_constraints: { max: 2 } })[0]).toMatchObject({
      type: 'FEATURE_TYPE_HIGH_UNIQUE',
      description: 'Expected no more than 2 unique values but found 3.',
    });
    expect(reasonsOf(stats(10, numbers('n', 'INT', 0, 5)), { name: 'n', type: 'INT', unique_constraints: { min: 1 } })[0]!.type).toBe('FEATURE_TYPE_NO_UNIQUE');
  });

  it('skew (L∞, NAD) and drift (JSD) comparators with measurements, and missing control data', () => {
    const training = stats(4, strings('c', { a: 3, b: 1 }), numbers('n', 'FLOAT', 0, 2, { histograms: [{ type: 'STANDARD', buckets: [{ low_value: 0, high_value: 1, sample_count: 10 }, { low_value: 1, high_value: 2, sample_count: 0 }] }] }));
    const serving = stats(4, strings('c', { a: 1, b: 1, c: 2 }));
    const previous = stats(10, strings('c', { a: 3, b: 1 }), numbers('n', 'FLOAT', 0, 2, { histograms: [{ type: 'STANDARD', buckets: [{ low_value: 0, high_value: 2, sample_count: 10 }] }] }));
    const schema: Schema = {
      feature: [
        { name: 'c', type: 'BYTES', skew_comparator: { infinity_norm: { threshold: 0.1 }, normalized_abs_difference: { threshold: 0.3 } } },
        { name: 'n', type: 'FLOAT', drift_comparator: { jensen_shannon_divergence: { threshold: 0.1 } }, skew_comparator: { infinity_norm: { threshold: 0.1 } } },
      ],
    };
    const anomalies = validateStatistics({ statistics: training, schema, servingStatistics: serving, previousStatistics: previous });
    expect(anomalies.anomaly_info['c']!.reason).toEqual([
      {
        type: 'COMPARATOR_L_INFTY_HIGH',
        short_description: 'High Linfty distance between training and serving',
        description: 'The Linfty distance between training and serving is 0.5 (up to six significant digits), above the threshold 0.1. The feature value with maximum difference is: c',
      },
    ]);
    const jsd = 0.5 * Math.log2(4 / 3) + 0.5 * (0.5 * Math.log2(0.5 / 0.75) + 0.5);
    expect(anomalies.anomaly_info['n']!.reason).toEqual([
      {
        type: 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH',
        short_description: 'High approximate Jensen-Shannon divergence between current and previous',
        description: 'The approximate Jensen-Shannon divergence between current and previous is 0.311278 (up to six significant digits), above the threshold 0.1.',
      },
      { type: 'COMPARATOR_CONTROL_DATA_MISSING', short_description: 'serving data missing', description: 'serving data is missing.' },
    ]);
    expect(anomalies.drift_skew_info).toEqual([
      {
        path: { step: ['c'] },
        drift_measurements: [],
        skew_measurements: [
          { type: 'L_INFTY', value: 0.5, threshold: 0.1 },
          { type: 'NORMALIZED_ABSOLUTE_DIFFERENCE', value: 0.25, threshold: 0.3 },
        ],
      },
      { path: { step: ['n'] }, drift_measurements: [{ type: 'JENSEN_SHANNON_DIVERGENCE', value: jsd, threshold: 0.1 }], skew_measurements: [] },
    ]);
    const nad = validateStatistics({ statistics: training, schema: { feature: [{ name: 'c', type: 'BYTES', skew_comparator: { normalized_abs_difference: { threshold: 0.2 } } }], }, servingStatistics: serving });
    expect(nad.anomaly_info['c']!.reason[0]!.type).toBe('COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH');
  });

  it('dataset constraints and data_missing', () => {
    const schema: Schema = {
      dataset_constraints: { min_examples_count: 20, max_examples_count: 5, num_examples_drift_comparator: { min_fraction_threshold: 0.9, max_fraction_threshold: 1.1 } },
    };
    const low = validateStatistics({ statistics: stats(10), schema, previousStatistics: stats(20) });
    expect(low.dataset_anomaly_info!.reason.map((r) => [r.type, r.description])).toEqual([
      ['COMPARATOR_LOW_NUM_EXAMPLES', 'The ratio of num examples in the current dataset versus the previous span is 0.5 (up to six significant digits), which is below the threshold 0.9.'],
      ['DATASET_LOW_NUM_EXAMPLES', 'The dataset has 10 examples, which is fewer than expected.'],
      ['DATASET_HIGH_NUM_EXAMPLES', 'The dataset has 10 examples, which is more than expected.'],
    ]);
    const high = validateStatistics({ statistics: stats(10), schema: { dataset_constraints: { num_examples_drift_comparator: { max_fraction_threshold: 1.1 } } }, previousStatistics: stats(5) });
    expect(high.dataset_anomaly_info!.reason[0]).toMatchObject({ type: 'COMPARATOR_HIGH_NUM_EXAMPLES', short_description: 'High num examples in current dataset versus the previous span.' });
    expect(validateStatistics({ statistics: stats(0), schema: {} }).data_missing).toBe(true);
  });

  it('ignores deprecated and disabled features', () => {
    expect(validateStatistics({ statistics: stats(10), schema: { feature: [{ name: 'old', type: 'INT', presence: { min_count: 1 }, lifecycle_stage: 'DEPRECATED' }] } }).anomaly_info).toEqual({});
  });
});
