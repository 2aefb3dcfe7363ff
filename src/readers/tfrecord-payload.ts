/**
 * What a TFRecord record holds, and the input record it becomes:
 * - `example`: a serialized tf.train.Example, read as a row of named fields (a one-value feature is a scalar, any
 *   other count a list; bytes are text when they are UTF-8, else bytes; a feature with no kind set is missing);
 * - `tensor`: a serialized TensorProto holding one instance's value (a scalar or nested lists);
 * - `bytes`: the record as it is, sent as `{"b64": …}` to a model's one string input (Vertex AI's TFRecord rule).
 */
import { ServingError } from '../errors/serving-error.js';
import { decodeExample } from '../tensor/example-proto.js';
import type { Feature } from '../tensor/example.js';
import { decodeTensorProto } from '../tensor/tensor-proto.js';
import { isStringData, type Tensor } from '../tensor/tensor.js';
import type { InputRecord } from './input-record.js';

export const TFRECORD_PAYLOADS = ['example', 'tensor', 'bytes'] as const;
export type TfRecordPayload = (typeof TFRECORD_PAYLOADS)[number];

export function parseTfRecordPayload(name: string): TfRecordPayload {
  if ((TFRECORD_PAYLOADS as readonly string[]).includes(name)) return name as TfRecordPayload;
  throw new ServingError('INVALID_ARGUMENT', `unknown TFRecord payload "${name}"; expected one of ${TFRECORD_PAYLOADS.join(', ')}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The input record of one TFRecord record's bytes; `position` is its 1-based number in the file. */
export function payloadRecord(data: Uint8Array, payload: TfRecordPayload, position: number): InputRecord {
  switch (payload) {
    case 'bytes':
      return { kind: 'value', position, value: data };
    case 'tensor': {
      let tensor: Tensor;
      try {
        tensor = decodeTensorProto(data);
      } catch (err) {
        return { kind: 'unreadable', position, message: `not a serialized TensorProto: ${(err as Error).message}` };
      }
      return { kind: 'value', position, value: tensorValue(tensor) };
    }
    case 'example': {
      let example;
      try {
        example = decodeExample(data);
      } catch (err) {
        return { kind: 'unreadable', position, message: `not a serialized tf.Example: ${(err as Error).message}` };
      }
      const names: string[] = [];
      const values: unknown[] = [];
      for (const [name, feature] of example) {
        names.push(name);
        values.push(featureValue(feature));
      }
      return { kind: 'fields', position, names, values };
    }
  }
}

function featureValue(feature: Feature): unknown {
  if (feature.kind === 'none') return undefined;
  const n = feature.values.length;
  const at = (i: number): unknown => (feature.kind === 'bytes' ? text(feature.values[i]!) : feature.kind === 'float' ? feature.values[i]! : int64(feature.values[i]!));
  if (n === 1) return at(0);
  const list: unknown[] = new Array<unknown>(n);
  for (let i = 0; i < n; i++) list[i] = at(i);
  return list;
}

/** A tensor as one instance value: a scalar, or lists nested as deep as its rank. */
export function tensorValue(tensor: Tensor): unknown {
  const { data, shape, dtype } = tensor;
  const at = (i: number): unknown => {
    if (isStringData(data)) return text(data[i]!);
    const v = data[i]!;
    if (typeof v === 'bigint') return int64(v);
    if (dtype === 'DT_BOOL') return v !== 0;
    if (dtype === 'DT_HALF') return halfToNumber(v);
    return v;
  };
  let next = 0;
  const build = (depth: number): unknown => {
    if (depth === shape.length) return at(next++);
    const list: unknown[] = new Array<unknown>(shape[depth]!);
    for (let i = 0; i < shape[depth]!; i++) list[i] = build(depth + 1);
    return list;
  };
  return build(0);
}

function text(bytes: Uint8Array): string | Uint8Array {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes;
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 as a number when it is exact as one, else as a BigInt (written as exact digits). */
function int64(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
