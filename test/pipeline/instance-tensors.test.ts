// The direct instances → tensors path against its oracle: the TF Serving JSON decoder reading the instances' text.
import { describe, expect, it } from 'vitest';
import { instanceJson } from '../../src/pipeline/instance-json.js';
import { instanceTensors } from '../../src/pipeline/instance-tensors.js';
import type { Signature } from '../../src/runtime/signature.js';
import type { DType } from '../../src/tensor/dtype.js';
import { decodePredictInputs, parsePredictBody } from '../../src/tensor/tf-json-predict.js';
import type { Tensor } from '../../src/tensor/tensor.js';

function signature(inputs: Record<string, DType>): Signature {
  return {
    key: 'serving_default',
    method: 'tensorflow/serving/predict',
    inputs: new Map(Object.entries(inputs).map(([name, dtype]) => [name, { name, dtype, shape: null }])),
    outputs: new Map(),
  };
}

function viaJson(instances: readonly unknown[], sig: Signature): Map<string, Tensor> {
  const body = parsePredictBody(new TextEncoder().encode(`{"instances":[${instances.map(instanceJson).join(',')}]}`));
  return decodePredictInputs(body, sig.inputs).tensors;
}

/** Tensors as plain values (typed arrays to arrays, bytes to text), so -0 and NaN compare exactly. */
function plain(tensors: ReadonlyMap<string, Tensor> | undefined): unknown {
  if (tensors === undefined) return undefined;
  return Object.fromEntries(
    [...tensors].map(([name, t]) => [
      name,
      { dtype: t.dtype, shape: t.shape, data: Array.isArray(t.data) ? t.data.map((b) => new TextDecoder().decode(b)) : Array.from(t.data as ArrayLike<number | bigint>) },
    ]),
  );
}

describe('instances straight into tensors', () => {
  const cases: Array<{ what: string; sig: Signature; instances: unknown[] }> = [
    { what: 'named float scalars, with -0, NaN, infinities and a BigInt', sig: signature({ a: 'DT_FLOAT', b: 'DT_DOUBLE' }), instances: [{ a: 1.5, b: -0 }, { a: NaN, b: Infinity }, { a: -Infinity, b: 9007199254740993n }, { a: 0.1, b: 0.1 }] },
    { what: 'integers of every width, low bits kept as the decoder keeps them', sig: signature({ i8: 'DT_INT8', u8: 'DT_UINT8', i32: 'DT_INT32', u32: 'DT_UINT32' }), instances: [{ i8: 300, u8: -1, i32: -2147483648, u32: 4294967295 }, { i8: 3n, u8: 7, i32: 2147483647, u32: 0 }] },
    { what: '64-bit integers from numbers and BigInts', sig: signature({ i: 'DT_INT64', u: 'DT_UINT64' }), instances: [{ i: -9223372036854775808n, u: 18446744073709551615n }, { i: 2 ** 53 - 1, u: 2 ** 53 - 1 }, { i: -5, u: 0 }] },
    { what: 'booleans and strings', sig: signature({ flag: 'DT_BOOL', s: 'DT_STRING' }), instances: [{ flag: true, s: 'héllo' }, { flag: false, s: '' }] },
    { what: 'nested lists of one shape', sig: signature({ m: 'DT_FLOAT' }), instances: [{ m: [[1, 2], [3, 4]] }, { m: [[5, 6], [7, 8]] }] },
    { what: 'bare values for a single input', sig: signature({ x: 'DT_FLOAT' }), instances: [[1], [2.5], [-3]] },
    { what: 'raw bytes for a single string input', sig: signature({ x: 'DT_STRING' }), instances: [new Uint8Array([0xff, 0]), new Uint8Array([104, 105])] },
  ];
  for (const { what, sig, instances } of cases) {
    it(`builds what the JSON decoder builds: ${what}`, () => {
      const direct = instanceTensors(instances, sig);
      expect(direct).toBeDefined();
      // Raw bytes that are not UTF-8 compare as bytes.
      const bytes = (t: ReadonlyMap<string, Tensor>) => [...t.values()].map((x) => (Array.isArray(x.data) ? x.data.map((b) => Array.from(b)) : []));
      expect(plain(direct)).toEqual(plain(viaJson(instances, sig)));
      expect(bytes(direct!)).toEqual(bytes(viaJson(instances, sig)));
    });
  }

  it('leaves to the JSON decoder what it does not take the same way', () => {
    const expectFallback = (instances: unknown[], sig: Signature): void => expect(instanceTensors(instances, sig)).toBeUndefined();
    expectFallback([{ x: 1 }, { x: 2 ** 31 }], signature({ x: 'DT_INT32' }));
    expectFallback([{ x: 1.5 }], signature({ x: 'DT_INT64' }));
    expectFallback([{ x: [1, 2] }, { x: [1, 2, 3] }], signature({ x: 'DT_FLOAT' }));
    expectFallback([{ x: { b64: 'AAE=' } }], signature({ x: 'DT_STRING' }));
    expectFallback([{ x: 1 }], signature({ x: 'DT_HALF' }));
    expectFallback([{ x: [] }], signature({ x: 'DT_FLOAT' }));
    expectFallback([1, 2], signature({ a: 'DT_FLOAT', b: 'DT_FLOAT' }));
    expectFallback([{ x: 18446744073709551616n }], signature({ x: 'DT_UINT64' }));
    expectFallback([], signature({ x: 'DT_FLOAT' }));
    // 2^60 is written "1152921504606847000", which is the integer the decoder reads.
    expectFallback([{ x: 2 ** 60 }], signature({ x: 'DT_INT64' }));
  });
});
