// Helpers for batch prediction tests: temporary directories, small real models, a job run in-process.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxElemType } from '../../src/runtime/onnx-model-proto.js';
import { runBatchJob, type BatchJobOptions, type BatchJobSummary } from '../../src/pipeline/batch-job.js';
import { openEmbeddedPredictor } from '../../src/pipeline/embedded-predictor.js';
import { DEFAULT_SIGNATURE } from '../../src/runtime/signature.js';
import { graph, modelBytes, node, floatTensor, valueInfo } from '../support/onnx-graph-builder.js';

export async function tempDir(): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'millrace-pipeline-'));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

export async function writeText(path: string, text: string | Uint8Array): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** Writes `<root>/<name>/1/model.onnx`; returns the model base path. */
export async function writeModel(root: string, name: string, bytes: Uint8Array, version = 1): Promise<string> {
  const base = join(root, name);
  await writeText(join(base, String(version), 'model.onnx'), bytes);
  return base;
}

/** float32 `y = 2a + b`, `a` and `b` of shape [-1]: a model with named scalar inputs, like examples/models/flights. */
export function weightedSumModel(): Uint8Array {
  const FLOAT = OnnxElemType.FLOAT;
  return modelBytes(
    graph({
      nodes: [node('Mul', ['a', 'two'], ['a2']), node('Add', ['a2', 'b'], ['y'])],
      inputs: [valueInfo('a', FLOAT, [-1]), valueInfo('b', FLOAT, [-1])],
      outputs: [valueInfo('y', FLOAT, [-1])],
      initializers: [floatTensor('two', [], [2])],
    }),
  );
}

export type JobOptions = Omit<BatchJobOptions, 'run' | 'plan' | 'shardIndex' | 'shardCount' | 'batchSize' | 'shaping' | 'model'> & {
  readonly input: string;
  readonly format?: string;
  readonly recordsPerUnit?: number;
  readonly numOutputShards?: number;
  readonly shardIndex?: number;
  readonly shardCount?: number;
  readonly batchSize?: number;
  readonly shaping?: BatchJobOptions['shaping'];
  /** A model directory; absent runs in export mode. */
  readonly model?: string;
  readonly exportOnly?: boolean;
  readonly tfrecord?: BatchJobOptions['plan']['tfrecord'];
};

/** Runs a job in this process, as `millrace predict` does. */
export async function runJob(options: JobOptions): Promise<BatchJobSummary> {
  const model = options.model === undefined ? undefined : await openEmbeddedPredictor({ dir: options.model });
  try {
    const signature = model?.signatures.get(DEFAULT_SIGNATURE);
    return await runBatchJob({
      plan: { input: options.input, format: options.format ?? '', recordsPerUnit: options.recordsPerUnit ?? 100_000, numOutputShards: options.numOutputShards ?? 0, tfrecord: options.tfrecord },
      output: options.output,
      shaping: options.shaping ?? {},
      run:
        model === undefined || signature === undefined || options.exportOnly === true
          ? { mode: 'export', signature }
          : { mode: 'predict', target: { predictor: model.predictor, modelSpec: { name: model.modelName, version: model.version }, signature } },
      batchSize: options.batchSize ?? 256,
      shardIndex: options.shardIndex ?? 0,
      shardCount: options.shardCount ?? 1,
      signal: options.signal,
      model: model === undefined ? undefined : { name: model.modelName, version: model.version, signature: DEFAULT_SIGNATURE },
    });
  } finally {
    await model?.close();
  }
}

/** Every file of an output directory (temporary files included, to prove there are none) → its text. */
export async function readOutputs(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name !== '_job.json') files[name] = await readFile(join(dir, name), 'utf8');
  }
  return files;
}

/** The lines of a JSON lines text, parsed. */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}
