// Row-format bodies through both decoding paths: flat lists of numbers take a one-pass fast path, anything
// else the general one; the results and TF Serving's error texts must not depend on which path ran.
import { describe, expect, it } from 'vitest';
import { parseJsonTape } from './json-tape.js';
import type { DType } from './dtype.js';
import type { TensorInfo } from './tensor-info.js';
import { decodePredictInputs, parsePredictBody } from './tf-json-predict.js';

function signature(inputs: Record<string, [DType, number[]]>): Map<string, TensorInfo> {
  return new Map(Object.entries(inputs).map(([name, [dtype, shape]]) => [name, { name, dtype, shape }]));
}

const float2 = signature({ x: ['DT_FLOAT', [-1, 2]] });

function decode(body: string, inputs: Map<string, TensorInfo> = float2): Array<[string, string, number[], string[]]> {
  const decoded = decodePredictInputs(parsePredictBody(Buffer.from(body)), inputs);
  return [...decoded.tensors].map(([name, t]) => [name, t.dtype, [...t.shape], Array.from(t.data as Float32Array, String)]);
}

function failure(body: string, inputs: Map<string, TensorInfo> = float2): string {
  try {
    decode(body, inputs);
  } catch (err) {
    const e = err as { code: string; message: string };
    return `${e.code}: ${e.message}`;
  }
  throw new Error(`decoded without error: ${body}`);
}

const element1 = "INVALID_ARGUMENT: Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: ";

describe('row-format decoding', () => {
  it('decodes flat numeric rows, rounding to the input dtype', () => {
    expect(decode('{"instances": [[1, 2], [3, 4]]}')).toEqual([['x', 'DT_FLOAT', [2, 2], ['1', '2', '3', '4']]]);
    expect(decode('{"instances": [[0.1, 2e3]]}')).toEqual([['x', 'DT_FLOAT', [1, 2], [String(Math.fround(0.1)), '2000']]]);
    expect(decode('{"instances": [[1.5, 2e3], [-0, 9007199254740993]]}', signature({ x: ['DT_DOUBLE', [-1, 2]] }))).toEqual([
      ['x', 'DT_DOUBLE', [2, 2], ['1.5', '2000', '0', '9007199254740992']],
    ]);
    expect(decode('{"instances": [[1, 2], [3, NaN]]}')).toEqual([['x', 'DT_FLOAT', [2, 2], ['1', '2', '3', 'NaN']]]);
    expect(decode('{"instances": [1, 2, 3]}', signature({ x: ['DT_FLOAT', [-1]] }))).toEqual([['x', 'DT_FLOAT', [3], ['1', '2', '3']]]);
    expect(decode('{"instances": [[[1, 2]], [[3, 4]]]}', signature({ x: ['DT_FLOAT', [-1, 1, 2]] }))).toEqual([['x', 'DT_FLOAT', [2, 1, 2], ['1', '2', '3', '4']]]);
    expect(decode('{"instances": [[], []]}', signature({ x: ['DT_FLOAT', [-1, 0]] }))).toEqual([['x', 'DT_FLOAT', [2, 0], []]]);
    expect(decode('{"instances": [[1, 2], [3, 4]]}', signature({ x: ['DT_INT32', [-1, 2]] }))).toEqual([['x', 'DT_INT32', [2, 2], ['1', '2', '3', '4']]]);
  });

  it('decodes named rows, keeping the first values of a repeated key', () => {
    const xy = signature({ x: ['DT_FLOAT', [-1, 2]], y: ['DT_FLOAT', [-1, 1]] });
    expect(decode('{"instances": [{"x": [1, 2], "y": [3]}, {"x": [5, 6], "y": [7]}]}', xy)).toEqual([
      ['x', 'DT_FLOAT', [2, 2], ['1', '2', '5', '6']],
      ['y', 'DT_FLOAT', [2, 1], ['3', '7']],
    ]);
    expect(decode('{"instances": [{"x": [1, 2], "x": [3, 4]}, {"x": [5, 6]}]}')).toEqual([['x', 'DT_FLOAT', [2, 2], ['1', '2', '3', '4']]]);
    expect(failure('{"instances": [{"x": [1, 2], "y": [3]}, {"x": [5], "y": [7]}]}', xy)).toBe(
      "INVALID_ARGUMENT: Failed to process element: 1 key: x of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 2 but got: 1",
    );
  });

  it("reports a row that breaks the first row's shape with TF Serving's texts", () => {
    expect(failure('{"instances": [[1, 2], [3, [4]]]}')).toBe(`${element1}Encountered list at unexpected level: 1 expected < 1`);
    expect(failure('{"instances": [[1, 2], [[3], [4]]]}')).toBe(`${element1}Expecting shape [2] but got: [2,1]`);
    expect(failure('{"instances": [[1, 2], [3, 4, 5]]}')).toBe(`${element1}Expecting tensor size: 2 but got: 3`);
    expect(failure('{"instances": [[1, 2], [3]]}')).toBe(`${element1}Expecting tensor size: 2 but got: 1`);
    expect(failure('{"instances": [[1, 2], []]}')).toBe(`${element1}Expecting tensor size: 2 but got: 0`);
  });

  it('reports values that are not numbers in a float row', () => {
    expect(failure('{"instances": [[1, 2], [3, "a"]]}')).toBe(`${element1}JSON Value: "a" Type: String is not of expected type: float`);
    expect(failure('{"instances": [[1, 2], [3, null]]}')).toBe(`${element1}JSON Value: null Type: Null is not of expected type: float`);
    expect(failure('{"instances": [[1, true]]}')).toBe(
      "INVALID_ARGUMENT: Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: true Type: True is not of expected type: float",
    );
    expect(failure('{"instances": [[1, 2], {"b64": "AA=="}]}')).toBe(`${element1}JSON Value: {\n    "b64": "AA=="\n} Type: Object is not of expected type: float`);
  });
});

describe('JSON tape release', () => {
  it('lets the next parse reuse the token arrays, and refuses to decode a released body', () => {
    const first = parsePredictBody(Buffer.from('{"instances": [[1, 2]]}'));
    const before = decodePredictInputs(first, float2).tensors.get('x')?.data;
    first.tape.release();
    expect(first.tape.released).toBe(true);
    expect(() => decodePredictInputs(first, float2)).toThrow('predict inputs decoded after the request body was released');
    // The second body lands in the first one's arrays; the first decode's tensor was a copy and is intact.
    const second = parseJsonTape(Buffer.from('{"instances": [["a", {"b": [true, null]}], 7.5]}'));
    expect(second.kinds[0]).toBe(7);
    expect(second.length).toBe(11);
    expect(second.stringText(4)).toBe('a');
    expect(second.nums[10]).toBe(7.5);
    expect(Array.from(before as Float32Array)).toEqual([1, 2]);
    second.release();
    second.release();
    const third = parsePredictBody(Buffer.from('{"instances": [[5, 6], [7, 8]]}'));
    expect(decode('{"instances": [[5, 6], [7, 8]]}')).toEqual([['x', 'DT_FLOAT', [2, 2], ['5', '6', '7', '8']]]);
    expect(Array.from(decodePredictInputs(third, float2).tensors.get('x')?.data as Float32Array)).toEqual([5, 6, 7, 8]);
  });
});
