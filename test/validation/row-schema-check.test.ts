import { describe, expect, it } from 'vitest';
import type { FeatureValues } from '../../src/validation/example-values.js';
import { checkRow } from '../../src/validation/row-schema-check.js';
import { schemaFromText } from '../../src/validation/metadata-protos.js';

const SCHEMA = schemaFromText(
  `
feature { name: "age" type: INT presence { min_fraction: 1 min_count: 1 } shape { dim { size: 1 } } int_domain { min: 0 max: 120 } }
feature { name: "color" type: BYTES presence { min_count: 1 } value_count { min: 1 max: 2 } domain: "color" }
feature { name: "score" type: FLOAT float_domain { min: 0 max: 1 disallow_nan: true } }
feature { name: "debug" type: INT lifecycle_stage: DEPRECATED }
feature { name: "label" type: INT presence { min_count: 1 } not_in_environment: "SERVING" }
string_domain { name: "color" value: "blue" value: "red" }
default_environment: "TRAINING"
default_environment: "SERVING"
`,
  'schema.pbtxt',
);

const text = (...values: string[]): FeatureValues => ({ kind: 'text', values });

describe('checkRow', () => {
  it('returns nothing for a conforming row', () => {
    expect(checkRow({ age: 30, color: ['red', 'blue'], score: 0.5, label: 1 }, SCHEMA)).toEqual([]);
  });

  it('reports an off-domain string with its share of the row, and a value out of an int domain', () => {
    expect(checkRow({ age: 130, color: ['red', 'purple'], score: 0.5, label: 0 }, SCHEMA)).toEqual([
      { feature: 'age', type: 'INT_TYPE_BIG_INT', severity: 'ERROR', short_description: 'Out-of-range values', description: 'Unexpectedly large value: 130.' },
      {
        feature: 'color',
        type: 'ENUM_TYPE_UNEXPECTED_STRING_VALUES',
        severity: 'ERROR',
        short_description: 'Unexpected string values',
        description: 'Examples contain values missing from the schema: purple (~50%). ',
      },
    ]);
  });

  it('reports a missing required feature, a new feature (ERROR or WARNING) and ignores deprecated ones', () => {
    const row = { color: 'red', extra: 'x', debug: 'anything', label: 1 };
    expect(checkRow(row, SCHEMA)).toEqual([
      { feature: 'extra', type: 'SCHEMA_NEW_COLUMN', severity: 'ERROR', short_description: 'New column', description: 'New column (column in data but not in schema)' },
      { feature: 'age', type: 'SCHEMA_MISSING_COLUMN', severity: 'ERROR', short_description: 'Column dropped', description: 'Column is completely missing' },
    ]);
    expect(checkRow(row, SCHEMA, { newFeaturesAreWarnings: true })[0]).toMatchObject({ feature: 'extra', severity: 'WARNING' });
  });

  it('lists every reason of one feature: wrong type and too many values', () => {
    expect(checkRow({ age: [1, 2.5], color: 'red', label: 1 }, SCHEMA)).toEqual([
      {
        feature: 'age',
        type: 'INVALID_FEATURE_SHAPE',
        severity: 'ERROR',
        short_description: 'Feature shape dropped',
        description: "The feature has fixed value length 2 but it's not compatible with the specified shape.",
      },
      { feature: 'age', type: 'UNEXPECTED_DATA_TYPE', severity: 'ERROR', short_description: 'Unexpected data type', description: 'Expected data of type: INT but got FLOAT' },
      { feature: 'age', type: 'DOMAIN_INVALID_FOR_TYPE', severity: 'ERROR', short_description: 'Invalid values', description: 'IntDomain incompatible with feature type FLOAT' },
    ]);
  });

  it('checks value counts, float bounds and NaN', () => {
    expect(checkRow({ age: 1, color: ['red', 'red', 'blue'], score: [NaN, 2], label: 1 }, SCHEMA)).toEqual([
      { feature: 'color', type: 'FEATURE_TYPE_HIGH_NUMBER_VALUES', severity: 'ERROR', short_description: 'Superfluous values', description: 'Some examples have more values than expected.' },
      { feature: 'score', type: 'FLOAT_TYPE_HAS_NAN', severity: 'ERROR', short_description: 'Invalid values', description: 'Float feature has NaN values.' },
      {
        feature: 'score',
        type: 'FLOAT_TYPE_BIG_FLOAT',
        severity: 'ERROR',
        short_description: 'Out-of-range values',
        description: 'Unexpectedly high value: 2>1(upto six significant digits)',
      },
    ]);
  });

  it('types CSV text by the schema: an integer cell is a FLOAT where declared, a word in an INT feature is not', () => {
    const ok = new Map([
      ['age', text('7')],
      ['color', text('blue')],
      ['score', text('1')],
      ['label', text('0')],
    ]);
    expect(checkRow(ok, SCHEMA)).toEqual([]);
    const bad = new Map([
      ['age', text('seven')],
      ['color', text('blue')],
      ['label', text('0')],
    ]);
    expect(checkRow(bad, SCHEMA).map((a) => [a.feature, a.type, a.description])).toEqual([
      ['age', 'UNEXPECTED_DATA_TYPE', 'Expected data of type: INT but got STRING'],
      ['age', 'INT_TYPE_NOT_INT_STRING', 'String values that were not ints were found, such as "seven".'],
    ]);
  });

  it('honours environments: a label is not required, and is new, in SERVING', () => {
    expect(checkRow({ age: 5, color: 'red' }, SCHEMA, { environment: 'SERVING' })).toEqual([]);
    expect(checkRow({ age: 5, color: 'red' }, SCHEMA, { environment: 'TRAINING' })).toEqual([
      { feature: 'label', type: 'SCHEMA_MISSING_COLUMN', severity: 'ERROR', short_description: 'Column dropped', description: 'Column is completely missing' },
    ]);
    expect(checkRow({ age: 5, color: 'red', label: 1 }, SCHEMA, { environment: 'SERVING' })).toEqual([
      {
        feature: 'label',
        type: 'SCHEMA_NEW_COLUMN',
        severity: 'ERROR',
        short_description: 'Column missing in environment',
        description: 'New column label found in data but not in the environment SERVING in the schema.',
      },
    ]);
    expect(() => checkRow({ age: 5 }, SCHEMA, { environment: 'STAGING' })).toThrow('environment "STAGING" is not one of the schema\'s default_environment (TRAINING, SERVING)');
  });

  it('reads TF Serving bytes ({"b64": …}), flattens nested lists, and calls an object a STRUCT', () => {
    const b64 = (s: string) => ({ b64: Buffer.from(s).toString('base64') });
    expect(checkRow({ age: [[3]], color: [b64('red'), b64('green')], label: 1 }, SCHEMA).map((a) => a.description)).toEqual([
      'Examples contain values missing from the schema: green (~50%). ',
    ]);
    expect(checkRow({ age: { years: 3 }, color: 'red', label: 1 }, SCHEMA).map((a) => a.description)).toEqual([
      'Expected data of type: INT but got STRUCT',
      'IntDomain incompatible with feature type STRUCT',
    ]);
    expect(checkRow({ age: 3, color: { b64: Buffer.from([0xff, 0xfe]).toString('base64') }, label: 1 }, SCHEMA).map((a) => a.type)).toEqual(['ENUM_TYPE_INVALID_UTF8']);
  });

  it('treats null as missing and an empty list as present with no values', () => {
    expect(checkRow({ age: null, color: 'red', label: 1 }, SCHEMA).map((a) => [a.feature, a.type])).toEqual([['age', 'SCHEMA_MISSING_COLUMN']]);
    expect(checkRow({ age: 1, color: [], label: 1 }, SCHEMA).map((a) => [a.feature, a.type])).toEqual([['color', 'FEATURE_TYPE_LOW_NUMBER_VALUES']]);
  });
});
