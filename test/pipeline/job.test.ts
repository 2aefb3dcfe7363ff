// Instance shaping, batching, sharding and resume of batch jobs, run in-process.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OnnxElemType } from '../../src/runtime/onnx-model-proto.js';
import { identityModel } from '../support/onnx-graphs.js';
import { jsonLines, readOutputs, runJob, tempDir, weightedSumModel, writeModel, writeText } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.dispose());

describe('instance shaping', () => {
  it('--included_fields fixes the order of an array instance; the key is passed through', async () => {
    const model = await writeModel(dir.path, 'id3', identityModel(OnnxElemType.FLOAT, [-1, 3]));
    const input = await writeText(join(dir.path, 'x.jsonl'), '{"k":7,"a":1,"b":2,"c":3,"noise":"z"}\n{"k":8,"a":4,"b":5}\n');
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, shaping: { keyField: 'k', includedFields: ['c', 'a', 'b'], instanceType: 'array' } });
    expect(summary).toMatchObject({ succeeded: 1, failed: 1 });
    const files = await readOutputs(output);
    expect(files['prediction.results-00000-of-00001']).toBe('{"key":7,"instance":[3,1,2],"prediction":[3.0,1.0,2.0]}\n');
    expect(jsonLines(files['prediction.errors-00000-of-00001']!)).toEqual([
      { key: 8, raw_record: { k: 8, a: 4, b: 5 }, error: { code: 'INVALID_ARGUMENT', message: 'missing field "c" (named in --included_fields)' }, input, line: 2 },
    ]);
  });

  it('--excluded_fields leaves fields out of the instance and echoes them when there is no key', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeText(join(dir.path, 'x.jsonl'), '{"user":"u1","a":1,"b":1,"ts":17}\n{"a":3,"b":0}\n');
    const output = join(dir.path, 'out');
    await runJob({ model, input, output, shaping: { excludedFields: ['user', 'ts'], instanceType: 'object' } });
    expect((await readOutputs(output))['prediction.results-00000-of-00001']).toBe(
      '{"instance":{"a":1,"b":1},"excluded":{"user":"u1","ts":17},"prediction":3.0}\n{"instance":{"a":3,"b":0},"excluded":{},"prediction":6.0}\n',
    );
  });

  it('--instance_type object refuses a line that is not an object', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeText(join(dir.path, 'x.jsonl'), '[1,2]\n');
    const output = join(dir.path, 'out');
    await runJob({ model, input, output, shaping: { instanceType: 'object' } });
    expect(jsonLines((await readOutputs(output))['prediction.errors-00000-of-00001']!)).toEqual([
      { raw_record: [1, 2], error: { code: 'INVALID_ARGUMENT', message: '--instance_type object needs a record with named fields, but this one is an array of 2' }, input, line: 1 },
    ]);
  });
});

describe('batching', () => {
  it('splits a batch the model rejects, so rows that fit only alone are still predicted', async () => {
    // Any row length fits the model, but rows of different lengths cannot share a batch.
    const model = await writeModel(dir.path, 'ragged', identityModel(OnnxElemType.FLOAT, [-1, -1]));
    const input = await writeText(join(dir.path, 'x.jsonl'), '[1]\n[2,3]\n[4]\n[5,6,7]\n');
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, batchSize: 4 });
    expect(summary).toMatchObject({ rows: 4, succeeded: 4, failed: 0 });
    expect(jsonLines((await readOutputs(output))['prediction.results-00000-of-00001']!)).toEqual([
      { instance: [1], prediction: [1] },
      { instance: [2, 3], prediction: [2, 3] },
      { instance: [4], prediction: [4] },
      { instance: [5, 6, 7], prediction: [5, 6, 7] },
    ]);
  });
});

/** 3 files of 10 JSON lines (one bad line each), keys 0..29. */
async function writeNumberedInput(root: string): Promise<string> {
  const input = join(root, 'in');
  for (let f = 0; f < 3; f++) {
    const lines = [];
    for (let i = 0; i < 10; i++) {
      const id = f * 10 + i;
      lines.push(i === 4 ? `{"id":${id},"a":"bad","b":0}` : `{"id":${id},"a":${id},"b":0.5}`);
    }
    await writeText(join(input, `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
  return input;
}

describe('sharding', () => {
  it('names one output shard per work unit by default, and the union of --shard_index runs is byte-identical to one run', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeNumberedInput(dir.path);
    const single = join(dir.path, 'single');
    const summary = await runJob({ model, input, output: single, recordsPerUnit: 4, batchSize: 3, shaping: { keyField: 'id' } });
    // Each 10-line file splits into units of 4, 4 and 2 lines: 9 units, 9 shards.
    expect(summary).toMatchObject({ rows: 30, succeeded: 27, failed: 3, shardsTotal: 9, shardsWritten: 9 });
    const one = await readOutputs(single);
    expect(Object.keys(one).filter((n) => n.startsWith('prediction.results-'))).toEqual(
      Array.from({ length: 9 }, (_, i) => `prediction.results-0000${i}-of-00009`),
    );
    expect(one['prediction.results-00000-of-00009']).toBe(
      '{"key":0,"instance":{"a":0,"b":0.5},"prediction":0.5}\n{"key":1,"instance":{"a":1,"b":0.5},"prediction":2.5}\n' +
        '{"key":2,"instance":{"a":2,"b":0.5},"prediction":4.5}\n{"key":3,"instance":{"a":3,"b":0.5},"prediction":6.5}\n',
    );
    expect(jsonLines(one['prediction.errors-00001-of-00009']!)).toEqual([
      { key: 4, instance: { a: 'bad', b: 0 }, error: { code: 'INVALID_ARGUMENT', message: 'field "a": expected a number (DT_FLOAT), got the string "bad"' }, input: join(input, 'part-0.jsonl'), line: 5 },
    ]);

    const sharded = join(dir.path, 'sharded');
    const parts = [];
    for (let k = 0; k < 4; k++) parts.push(await runJob({ model, input, output: sharded, recordsPerUnit: 4, batchSize: 5, shardIndex: k, shardCount: 4, shaping: { keyField: 'id' } }));
    expect(parts.map((p) => p.shardsWritten)).toEqual([3, 2, 2, 2]);
    expect(await readOutputs(sharded)).toEqual(one);

    // Every key exactly once across all results and errors.
    const keys = Object.values(one).flatMap((text) => jsonLines(text).map((l) => (l as { key: number }).key));
    expect(keys.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('groups work units into --num_output_shards contiguous shards', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeNumberedInput(dir.path);
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, recordsPerUnit: 4, numOutputShards: 2, shaping: { keyField: 'id' } });
    expect(summary).toMatchObject({ shardsTotal: 2, shardsWritten: 2 });
    const files = await readOutputs(output);
    const keysOf = (name: string): number[] => jsonLines(files[name]!).map((l) => (l as { key: number }).key);
    // Units 0-3 (file 0 and the first unit of file 1), then units 4-8.
    expect(keysOf('prediction.results-00000-of-00002')).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(keysOf('prediction.results-00001-of-00002')).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 26, 27, 28, 29]);
  });
});

describe('resume', () => {
  it('skips committed shards, redoes the rest, and clears temporary files a crash left', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeNumberedInput(dir.path);
    const output = join(dir.path, 'out');
    const first = await runJob({ model, input, output, recordsPerUnit: 4, shaping: { keyField: 'id' } });
    expect(first.shardsWritten).toBe(9);
    const complete = await readOutputs(output);
    // A crash after shard 3 was committed and while shard 4 was written: later shards never appeared.
    for (let i = 4; i < 9; i++) {
      await rm(join(output, `prediction.results-0000${i}-of-00009`));
      await rm(join(output, `prediction.errors-0000${i}-of-00009`));
    }
    await writeFile(join(output, '.prediction.results-00004-of-00009.4242-0badf00d.tmp'), '{"key":16,"partial');
    const again = await runJob({ model, input, output, recordsPerUnit: 4, shaping: { keyField: 'id' } });
    // Shard 1 (lines 5-8 of part-0) holds a failed row; the rerun's shards 4 and 7 hold the other two.
    expect(again).toMatchObject({ shardsWritten: 5, shardsSkipped: 4, rows: 16, failed: 2, committedFailedRows: 1 });
    expect(await readOutputs(output)).toEqual(complete);
    expect((await readdir(output)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // A run after the job is complete reads nothing, yet still reports the rows that failed.
    expect(await runJob({ model, input, output, recordsPerUnit: 4, shaping: { keyField: 'id' } })).toMatchObject({
      rows: 0,
      failed: 0,
      shardsWritten: 0,
      shardsSkipped: 9,
      committedFailedRows: 3,
    });
  });

  it('refuses to add shards of a different job to an output directory', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeNumberedInput(dir.path);
    const output = join(dir.path, 'out');
    await runJob({ model, input, output, recordsPerUnit: 4, shaping: { keyField: 'id' } });
    await expect(runJob({ model, input, output, recordsPerUnit: 5, shaping: { keyField: 'id' } })).rejects.toThrow(
      `${output} holds shards of a different job (records_per_unit, num_output_shards differ from ${join(output, '_job.json')}); use a new --output directory, or delete the old one to start over`,
    );
  });
});

describe('error rows', () => {
  it('carry the key on its own and the instance shaped as on result lines; the record as read only when it could not be shaped', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeText(join(dir.path, 'x.csv'), 'id,a,b,distance\n"d""e",1,2,500\nf,x,2,7\n');
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, shaping: { keyField: 'id' } });
    expect(summary).toMatchObject({ rows: 2, succeeded: 0, failed: 2 });
    // Row 1 was shaped (key out, cells typed) and then refused; row 2's cell "x" could not be typed as a float.
    expect((await readOutputs(output))['prediction.errors-00000-of-00001']).toBe(
      `{"key":"d\\"e","instance":{"a":1,"b":2,"distance":500},"error":{"code":"INVALID_ARGUMENT","message":"field \\"distance\\" is not an input of signature serving_default (inputs: a, b); leave it out with --excluded_fields or pick inputs with --included_fields"},"input":${JSON.stringify(input)},"line":2}\n` +
        `{"key":"f","raw_record":{"id":"f","a":"x","b":"2","distance":"7"},"error":{"code":"INVALID_ARGUMENT","message":"field \\"a\\": \\"x\\" is not a number"},"input":${JSON.stringify(input)},"line":3}\n`,
    );
  });
});

describe('--export-only', () => {
  it('writes one shaped instance per line with the key inside, ready for a job with keyField, checked against the model when one is given', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = await writeText(join(dir.path, 'x.csv'), 'id,a,b\n1,2,3\n2,x,3\n3,1.5,-2\n');
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, exportOnly: true, shaping: { keyField: 'id' } });
    expect(summary).toMatchObject({ rows: 3, succeeded: 2, failed: 1 });
    const files = await readOutputs(output);
    expect(files['export.instances-00000-of-00001']).toBe('{"id":1,"a":2,"b":3}\n{"id":3,"a":1.5,"b":-2}\n');
    expect(jsonLines(files['export.errors-00000-of-00001']!)).toEqual([
      { key: 2, raw_record: { id: '2', a: 'x', b: '3' }, error: { code: 'INVALID_ARGUMENT', message: 'field "a": "x" is not a number' }, input, line: 3 },
    ]);
    expect(Object.keys(files).some((n) => n.startsWith('prediction.'))).toBe(false);
  });

  it('refuses array instances with a key, which could not hold it', async () => {
    const input = await writeText(join(dir.path, 'x.jsonl'), '{"id":1,"a":2}\n');
    await expect(runJob({ input, output: join(dir.path, 'out'), exportOnly: true, shaping: { keyField: 'id', instanceType: 'array' } })).rejects.toThrow(
      'export mode writes the --key_field value inside each instance, which an array instance cannot hold; export objects (no --instance_type array) and set instanceType array and keyField in the external job',
    );
  });
});
