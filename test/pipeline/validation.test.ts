// `--validate_with`: rows checked against a TFDV schema before they are predicted, flagged or refused.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/pipeline/batch-job.js';
import { openEmbeddedPredictor } from '../../src/pipeline/embedded-predictor.js';
import { loadRowValidation, type ValidationMode } from '../../src/pipeline/row-validation.js';
import type { ShapingOptions } from '../../src/pipeline/instance-shaper.js';
import { DEFAULT_SIGNATURE } from '../../src/runtime/signature.js';
import { halfPlusTwoModel } from '../support/onnx-graphs.js';
import { readOutputs, tempDir, weightedSumModel, writeModel, writeText } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
let jobs = 0;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.dispose());

const SCHEMA = `
feature { name: "a" type: FLOAT presence { min_count: 1 } float_domain { min: 0 max: 10 } }
feature { name: "b" type: FLOAT presence { min_count: 1 } float_domain { min: -1 max: 1 disallow_nan: true } }
feature { name: "label" type: INT presence { min_count: 1 } not_in_environment: "SERVING" }
default_environment: "TRAINING"
default_environment: "SERVING"
`;

const ROWS = ['{"id":"r1","a":1,"b":0.5}', '{"id":"r2","a":12,"b":0.5}', '{"id":"r3","a":2,"b":"x"}', '{"id":"r4","a":3,"b":-1,"c":7}', '{"id":"r5","a":4}'];

async function job(mode: ValidationMode, environment: string | undefined, shaping: ShapingOptions = { keyField: 'id' }, rows = ROWS, model = weightedSumModel()) {
  const schemaFile = await writeText(join(dir.path, 'schema.pbtxt'), SCHEMA);
  const input = await writeText(join(dir.path, 'in', 'rows.jsonl'), `${rows.join('\n')}\n`);
  const modelDir = await writeModel(dir.path, 'm', model);
  const embedded = await openEmbeddedPredictor({ dir: modelDir });
  const output = join(dir.path, `out-${++jobs}`);
  try {
    const signature = embedded.signatures.get(DEFAULT_SIGNATURE)!;
    const summary = await runBatchJob({
      plan: { input, format: '', recordsPerUnit: 100, numOutputShards: 0 },
      output,
      shaping,
      run: { mode: 'predict', target: { predictor: embedded.predictor, modelSpec: { name: embedded.modelName, version: embedded.version }, signature } },
      batchSize: 8,
      shardIndex: 0,
      shardCount: 1,
      validation: await loadRowValidation(schemaFile, mode, environment),
    });
    const files = await readOutputs(output);
    return { summary, input, results: files['prediction.results-00000-of-00001']!, errors: files['prediction.errors-00000-of-00001']! };
  } finally {
    await embedded.close();
  }
}

const OUT_OF_RANGE = '{"feature":"a","type":"FLOAT_TYPE_BIG_FLOAT","severity":"ERROR","shortDescription":"Out-of-range values","description":"Unexpectedly high value: 12>10(upto six significant digits)"}';
const STRING_B =
  '{"feature":"b","type":"UNEXPECTED_DATA_TYPE","severity":"ERROR","shortDescription":"Unexpected data type","description":"Expected data of type: FLOAT but got STRING"},' +
  '{"feature":"b","type":"FLOAT_TYPE_STRING_NOT_FLOAT","severity":"ERROR","shortDescription":"Invalid values","description":"String values that were not floats were found, such as \\"x\\"."}';
const NEW_C = '{"feature":"c","type":"SCHEMA_NEW_COLUMN","severity":"ERROR","shortDescription":"New column","description":"New column (column in data but not in schema)"}';
const MISSING_B = '{"feature":"b","type":"SCHEMA_MISSING_COLUMN","severity":"ERROR","shortDescription":"Column dropped","description":"Column is completely missing"}';

describe('--validate_with', () => {
  it('flag: predicts every row it can and lists each row\'s anomalies on its line', async () => {
    const { summary, input, results, errors } = await job('flag', 'SERVING');
    expect(summary).toMatchObject({ rows: 5, succeeded: 2, failed: 3 });
    expect(results).toBe(
      '{"key":"r1","instance":{"a":1,"b":0.5},"prediction":2.5}\n' + `{"key":"r2","instance":{"a":12,"b":0.5},"prediction":24.5,"anomalies":[${OUT_OF_RANGE}]}\n`,
    );
    const where = (line: number) => `"input":${JSON.stringify(input)},"line":${line}`;
    expect(errors).toBe(
      `{"key":"r3","instance":{"a":2,"b":"x"},"error":{"code":"INVALID_ARGUMENT","message":"field \\"b\\": expected a number (DT_FLOAT), got the string \\"x\\""},${where(3)},"anomalies":[${STRING_B}]}\n` +
        `{"key":"r4","instance":{"a":3,"b":-1,"c":7},"error":{"code":"INVALID_ARGUMENT","message":"field \\"c\\" is not an input of signature serving_default (inputs: a, b); leave it out with --excluded_fields or pick inputs with --included_fields"},${where(4)},"anomalies":[${NEW_C}]}\n` +
        `{"key":"r5","instance":{"a":4},"error":{"code":"INVALID_ARGUMENT","message":"no value for input \\"b\\""},${where(5)},"anomalies":[${MISSING_B}]}\n`,
    );
  });

  it('refuse: sends rows that break the schema to the errors output, unpredicted, with the anomalies as the error', async () => {
    const { summary, input, results, errors } = await job('refuse', 'SERVING');
    expect(summary).toMatchObject({ rows: 5, succeeded: 1, failed: 4 });
    expect(results).toBe('{"key":"r1","instance":{"a":1,"b":0.5},"prediction":2.5}\n');
    const lines = errors.split('\n');
    expect(lines[0]).toBe(
      `{"key":"r2","instance":{"a":12,"b":0.5},"error":{"code":"INVALID_ARGUMENT","message":"the row breaks the schema: a: Out-of-range values (Unexpectedly high value: 12>10(upto six significant digits))"},"input":${JSON.stringify(input)},"line":2,"anomalies":[${OUT_OF_RANGE}]}`,
    );
    expect(lines.slice(1, 4).map((l) => (JSON.parse(l) as { error: { message: string } }).error.message)).toEqual([
      'the row breaks the schema: b: Unexpected data type (Expected data of type: FLOAT but got STRING); b: Invalid values (String values that were not floats were found, such as "x".)',
      'the row breaks the schema: c: New column (New column (column in data but not in schema))',
      'the row breaks the schema: b: Column dropped (Column is completely missing)',
    ]);
  });

  it('checks the features of every environment unless one is named: a serving row lacks its label', async () => {
    const { results } = await job('flag', undefined, { keyField: 'id' }, ['{"id":"r1","a":1,"b":0.5}']);
    expect(results).toBe(
      '{"key":"r1","instance":{"a":1,"b":0.5},"prediction":2.5,"anomalies":[{"feature":"label","type":"SCHEMA_MISSING_COLUMN","severity":"ERROR","shortDescription":"Column dropped","description":"Column is completely missing"}]}\n',
    );
  });

  it('checks array instances by the names of the fields they were made of, and refuses records without names', async () => {
    const rows = ['{"id":"r1","a":11}', '{"id":"r2","a":3}'];
    const { results } = await job('flag', 'SERVING', { instanceType: 'array', excludedFields: ['id'] }, rows, halfPlusTwoModel());
    expect(results).toBe(
      `{"instance":[11],"excluded":{"id":"r1"},"prediction":[7.5],"anomalies":[{"feature":"a","type":"FLOAT_TYPE_BIG_FLOAT","severity":"ERROR","shortDescription":"Out-of-range values","description":"Unexpectedly high value: 11>10(upto six significant digits)"},${MISSING_B}]}\n` +
        `{"instance":[3],"excluded":{"id":"r2"},"prediction":[3.5],"anomalies":[${MISSING_B}]}\n`,
    );
    const { errors, input } = await job('flag', 'SERVING', {}, ['[5]'], halfPlusTwoModel());
    expect(errors).toBe(
      `{"instance":[5],"error":{"code":"INVALID_ARGUMENT","message":"--validate_with checks a row's named fields, but this record is an array of 1"},"input":${JSON.stringify(input)},"line":1}\n`,
    );
  });

  it('refuses a schema environment the schema does not have, and flag mode where lines cannot carry anomalies', async () => {
    const schemaFile = await writeText(join(dir.path, 'schema.pbtxt'), SCHEMA);
    await expect(loadRowValidation(schemaFile, 'flag', 'EVAL')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: `${schemaFile} has no environment "EVAL" (it has TRAINING, SERVING)` });
    await expect(loadRowValidation(join(dir.path, 'nope.json'), 'flag', undefined)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `cannot read ${join(dir.path, 'nope.json')}: no such file` });
    const input = await writeText(join(dir.path, 'x.jsonl'), '{"a":1}\n');
    const exportJob = runBatchJob({
      plan: { input, format: '', recordsPerUnit: 100, numOutputShards: 0 },
      output: join(dir.path, 'out'),
      shaping: {},
      run: { mode: 'export' },
      batchSize: 8,
      shardIndex: 0,
      shardCount: 1,
      validation: await loadRowValidation(schemaFile, 'flag', undefined),
    });
    await expect(exportJob).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'validation mode flag lists anomalies on prediction lines, which export files and tables do not have; use refuse' });
  });
});
