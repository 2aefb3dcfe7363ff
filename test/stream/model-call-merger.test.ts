// Model calls of windows in flight: requests of one turn share one call and get their own rows back; per-element
// mode keeps one call per request; a bad row in a merged call fails only itself.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedPredictor, type EmbeddedPredictor } from '../../src/pipeline/embedded-predictor.js';
import type { PredictionTarget } from '../../src/pipeline/batch-predict.js';
import { ModelCallMerger } from '../../src/pipeline/stream/model-call-merger.js';
import { DEFAULT_SIGNATURE } from '../../src/runtime/signature.js';
import type { Predictor } from '../../src/serving/predictor.js';
import { tempDir, writeWeightedSumModel } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
let model: EmbeddedPredictor;
let target: PredictionTarget;
let batchSizes: number[];

beforeAll(async () => {
  dir = await tempDir();
  model = await openEmbeddedPredictor({ dir: await writeWeightedSumModel(join(dir.path, 'models')) });
  const real = model.predictor;
  const counting: Predictor = Object.create(real) as Predictor;
  counting.predict = async (request) => {
    const inputs = typeof request.inputs === 'function' ? request.inputs(model.signatures.get(DEFAULT_SIGNATURE)!) : request.inputs;
    batchSizes.push(inputs.get('a')!.shape[0]!);
    return real.predict(request);
  };
  target = { predictor: counting, modelSpec: { name: model.modelName, version: model.version }, signature: model.signatures.get(DEFAULT_SIGNATURE)! };
});

afterAll(async () => {
  await model?.close();
  await dir?.dispose();
});

const texts = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `{"a":${from + i},"b":1}`);

describe('ModelCallMerger', () => {
  it('sends the requests of one turn as one call and hands each its own predictions', async () => {
    batchSizes = [];
    const merger = new ModelCallMerger(target, true);
    const [first, second, third] = await Promise.all([merger.predict(texts(0, 2), undefined), merger.predict(texts(10, 3), [{ a: 10, b: 1 }, { a: 11, b: 1 }, { a: 12, b: 1 }]), merger.predict(texts(20, 1), undefined)]);
    expect(batchSizes).toEqual([6]);
    expect(first).toEqual([{ prediction: '1.0' }, { prediction: '3.0' }]);
    expect(second).toEqual([{ prediction: '21.0' }, { prediction: '23.0' }, { prediction: '25.0' }]);
    expect(third).toEqual([{ prediction: '41.0' }]);
  });

  it('keeps one call per request when merging is off (per-element mode)', async () => {
    batchSizes = [];
    const merger = new ModelCallMerger(target, false);
    const outcomes = await Promise.all([merger.predict(texts(0, 1), undefined), merger.predict(texts(5, 1), undefined)]);
    expect(batchSizes).toEqual([1, 1]);
    expect(outcomes).toEqual([[{ prediction: '1.0' }], [{ prediction: '11.0' }]]);
  });

  it('caps a merged call at maxRows rows of whole requests, and sends a request asked alone by itself', async () => {
    batchSizes = [];
    const merger = new ModelCallMerger(target, true, 4);
    const outcomes = await Promise.all([
      merger.predict(texts(0, 2), undefined),
      merger.predict(texts(10, 2), undefined),
      merger.predict(texts(20, 3), undefined),
      merger.predict(texts(30, 5), undefined),
      merger.predict(texts(40, 1), undefined, true),
    ]);
    // The lone request goes at once; then [2 + 2], [3], [5 (larger than maxRows, alone)].
    expect(batchSizes).toEqual([1, 4, 3, 5]);
    expect(outcomes.map((o) => o.length)).toEqual([2, 2, 3, 5, 1]);
    expect(outcomes[2]).toEqual([{ prediction: '41.0' }, { prediction: '43.0' }, { prediction: '45.0' }]);
    expect(outcomes[4]).toEqual([{ prediction: '81.0' }]);
    expect(() => new ModelCallMerger(target, true, 0)).toThrow('maxRows must be a positive integer, got 0');
  });

  it('fails only the bad row of a merged call', async () => {
    const merger = new ModelCallMerger(target, true);
    const [good, bad] = await Promise.all([merger.predict(texts(0, 2), undefined), merger.predict(['{"a":"x","b":1}'], undefined)]);
    expect(good).toEqual([{ prediction: '1.0' }, { prediction: '3.0' }]);
    expect(bad).toHaveLength(1);
    expect('error' in bad[0]! && bad[0].error.code).toBe('INVALID_ARGUMENT');
  });
});
