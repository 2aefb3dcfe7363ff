// Shards in worker threads: the same files as one thread, and a worker's failure fails the job cleanly.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBatchJob, type BatchJobOptions } from '../../src/pipeline/batch-job.js';
import { openEmbeddedPredictor } from '../../src/pipeline/embedded-predictor.js';
import { loadRowValidation } from '../../src/pipeline/row-validation.js';
import { DEFAULT_RUNTIME_OPTIONS } from '../../src/runtime/servable.js';
import { DEFAULT_SIGNATURE } from '../../src/runtime/signature.js';
import { readOutputs, tempDir, weightedSumModel, writeModel, writeText } from './support.js';

const WORKER = fileURLToPath(new URL('../../dist/pipeline/job-worker.js', import.meta.url));

let dir: { path: string; dispose(): Promise<void> };
beforeEach(async () => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first (npm test does)`);
  dir = await tempDir();
});
afterEach(() => dir.dispose());

/** 40 rows in 10 units of 4, every seventh one bad. */
async function input(): Promise<string> {
  const lines = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? `{"id":${i},"a":"bad","b":1}` : `{"id":${i},"a":${i},"b":0.5}`));
  return writeText(join(dir.path, 'in', 'rows.jsonl'), `${lines.join('\n')}\n`);
}

async function run(modelDir: string, inputPath: string, output: string, workers: number, extra: Partial<BatchJobOptions> = {}) {
  const model = await openEmbeddedPredictor({ dir: modelDir });
  try {
    const signature = model.signatures.get(DEFAULT_SIGNATURE)!;
    return await runBatchJob({
      plan: { input: inputPath, format: '', recordsPerUnit: 4, numOutputShards: 0 },
      output,
      shaping: { keyField: 'id' },
      run: { mode: 'predict', target: { predictor: model.predictor, modelSpec: { name: model.modelName, version: model.version }, signature } },
      batchSize: 3,
      shardIndex: 0,
      shardCount: 1,
      model: { name: model.modelName, version: model.version, signature: DEFAULT_SIGNATURE },
      workers,
      workerModel: { dir: modelDir, modelName: model.modelName, version: model.version, runtime: { ...DEFAULT_RUNTIME_OPTIONS, intraOpParallelism: 1 } },
      ...extra,
    });
  } finally {
    await model.close();
  }
}

describe('worker threads', () => {
  it('write byte for byte the files one thread writes, with the same counts', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const rows = await input();
    const one = await run(model, rows, join(dir.path, 'one'), 1);
    const three = await run(model, rows, join(dir.path, 'three'), 3);
    expect(three).toMatchObject({ rows: 40, succeeded: 34, failed: 6, shardsWritten: 10 });
    expect({ ...three, elapsedMs: 0 }).toEqual({ ...one, elapsedMs: 0 });
    const files = await readOutputs(join(dir.path, 'three'));
    expect(files).toEqual(await readOutputs(join(dir.path, 'one')));
    expect(Object.keys(files)).toHaveLength(20);
    expect(files['prediction.results-00002-of-00010']).toBe(
      '{"key":8,"instance":{"a":8,"b":0.5},"prediction":16.5}\n{"key":9,"instance":{"a":9,"b":0.5},"prediction":18.5}\n{"key":11,"instance":{"a":11,"b":0.5},"prediction":22.5}\n',
    );
  });

  it('check rows against a --validate_with schema in every thread', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const rows = await input();
    const schema = await writeText(join(dir.path, 'schema.pbtxt'), 'feature { name: "a" type: FLOAT float_domain { min: 0 max: 10 } }\nfeature { name: "b" type: FLOAT }\n');
    const validation = await loadRowValidation(schema, 'flag', undefined);
    await run(model, rows, join(dir.path, 'one'), 1, { validation });
    await run(model, rows, join(dir.path, 'three'), 3, { validation });
    const files = await readOutputs(join(dir.path, 'three'));
    expect(files).toEqual(await readOutputs(join(dir.path, 'one')));
    expect(files['prediction.results-00002-of-00010']!.split('\n')[2]).toBe(
      '{"key":11,"instance":{"a":11,"b":0.5},"prediction":22.5,"anomalies":[{"feature":"a","type":"FLOAT_TYPE_BIG_FLOAT","severity":"ERROR","shortDescription":"Out-of-range values","description":"Unexpectedly high value: 11>10(upto six significant digits)"}]}',
    );
  });

  it('export instances in parallel too', async () => {
    const rows = await input();
    const exportJob = (output: string, workers: number) =>
      runBatchJob({
        plan: { input: rows, format: '', recordsPerUnit: 4, numOutputShards: 0 },
        output,
        shaping: { keyField: 'id' },
        run: { mode: 'export' },
        batchSize: 3,
        shardIndex: 0,
        shardCount: 1,
        workers,
      });
    expect(await exportJob(join(dir.path, 'three'), 3)).toMatchObject({ rows: 40, succeeded: 40, shardsWritten: 10 });
    await exportJob(join(dir.path, 'one'), 1);
    expect(await readOutputs(join(dir.path, 'three'))).toEqual(await readOutputs(join(dir.path, 'one')));
  });

  it('fail the job with the first worker\'s error, leaving no temporary file, and a rerun finishes it', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const rows = await input();
    const output = join(dir.path, 'out');
    // The workers look for the model where it no longer is; this thread still has it loaded.
    const failing = run(model, rows, output, 3, { workerModel: { dir: join(dir.path, 'gone'), modelName: 'sum', version: 1, runtime: DEFAULT_RUNTIME_OPTIONS } });
    await expect(failing).rejects.toMatchObject({ code: 'NOT_FOUND', message: `model ${join(dir.path, 'gone')} does not exist` });
    const names = await readdir(output);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    const committed = names.filter((n) => n.startsWith('prediction.results-')).length;
    const rerun = await run(model, rows, output, 1);
    expect(rerun).toMatchObject({ shardsWritten: 10 - committed, shardsSkipped: committed });
    await rm(join(dir.path, 'one'), { recursive: true, force: true });
    await run(model, rows, join(dir.path, 'one'), 1);
    expect(await readOutputs(output)).toEqual(await readOutputs(join(dir.path, 'one')));
  });
});
