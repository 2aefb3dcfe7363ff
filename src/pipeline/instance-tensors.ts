/**
 * Shaped instances straight into the signature's input tensors, for the common case: numbers, booleans and
 * strings in lists of one shape per input. Instances have passed checkInstance, so types and per-instance shapes
 * fit; this fills the typed arrays with exactly the values the TF Serving JSON decoder would produce from the
 * instances' JSON text, without writing or parsing that text. Anything it does not handle as the decoder would
 * (base64 objects, FP16, an integer out of range, instances whose list sizes differ) makes it answer undefined,
 * and the batch goes through the JSON decoder, which has the exact rules and error messages.
 */
import type { Signature } from '../runtime/signature.js';
import type { DType } from '../tensor/dtype.js';
import { allocateData, type Tensor, type TensorData } from '../tensor/tensor.js';

const encoder = new TextEncoder();
const BIG_INT64_MIN = -(2n ** 63n);
const BIG_INT64_MAX = 2n ** 63n - 1n;
const BIG_UINT64_MAX = 2n ** 64n - 1n;

/** The batch's input tensors, or undefined when the JSON decoder must decide. */
export function instanceTensors(instances: readonly unknown[], signature: Signature): Map<string, Tensor> | undefined {
  const batch = instances.length;
  if (batch === 0) return undefined;
  const named = isPlainObject(instances[0]);
  if (!named && signature.inputs.size !== 1) return undefined;
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of signature.inputs) {
    const valueOf = named ? (i: number): unknown => (instances[i] as Record<string, unknown>)[name] : (i: number): unknown => instances[i];
    const tensor = fillInput(batch, valueOf, info.dtype);
    if (tensor === undefined) return undefined;
    tensors.set(name, tensor);
  }
  return tensors;
}

function fillInput(batch: number, valueOf: (i: number) => unknown, dtype: DType): Tensor | undefined {
  const dims = dimsOf(valueOf(0));
  if (dims === undefined) return undefined;
  let perInstance = 1;
  for (const d of dims) perInstance *= d;
  if (dtype === 'DT_HALF' || dtype === 'DT_INVALID') return undefined;
  const data = dtype === 'DT_STRING' ? new Array<Uint8Array>(batch * perInstance) : allocateData(dtype, batch * perInstance);
  const filler = new Filler(data, dtype, dims);
  for (let i = 0; i < batch; i++) {
    const value = valueOf(i);
    if (dims.length === 0) {
      if (!filler.put(value)) return undefined;
    } else if (!filler.list(value, 0)) return undefined;
  }
  return { dtype, shape: [batch, ...dims], data };
}

/** The sizes along the first element at each level; undefined for values this path does not take. */
function dimsOf(value: unknown): number[] | undefined {
  const dims: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    dims.push(v.length);
    if (v.length === 0) return undefined;
    v = v[0] as unknown;
  }
  return v === undefined || v === null ? undefined : dims;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);
}

class Filler {
  private pos = 0;

  constructor(
    private readonly data: TensorData,
    private readonly dtype: DType,
    private readonly dims: readonly number[],
  ) {}

  list(value: unknown, level: number): boolean {
    if (!Array.isArray(value) || value.length !== this.dims[level]) return false;
    if (level === this.dims.length - 1) {
      for (let i = 0; i < value.length; i++) if (!this.put(value[i])) return false;
      return true;
    }
    for (let i = 0; i < value.length; i++) if (!this.list(value[i], level + 1)) return false;
    return true;
  }

  /** One scalar, converted as the JSON decoder converts its text; false when that path must decide. */
  put(v: unknown): boolean {
    const p = this.pos++;
    const data = this.data;
    switch (this.dtype) {
      case 'DT_FLOAT':
      case 'DT_DOUBLE':
        // `+ 0` turns -0 into 0, as its JSON text "0" reads.
        if (typeof v === 'number') (data as Float32Array | Float64Array)[p] = v + 0;
        else if (typeof v === 'bigint') (data as Float32Array | Float64Array)[p] = Number(v);
        else return false;
        return true;
      case 'DT_INT32':
      case 'DT_INT16':
      case 'DT_INT8':
      case 'DT_UINT8': {
        // The decoder takes any int32 for these and keeps the low bits, as typed-array assignment does.
        const n = typeof v === 'bigint' && v >= -2147483648n && v <= 2147483647n ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) return false;
        (data as Int32Array | Int16Array | Int8Array | Uint8Array)[p] = n;
        return true;
      }
      case 'DT_UINT32': {
        const n = typeof v === 'bigint' && v >= 0n && v <= 4294967295n ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 4294967295) return false;
        (data as Uint32Array)[p] = n;
        return true;
      }
      case 'DT_INT64':
        // A number past 2^53 is written as its shortest text ("1152921504606847000" for 2^60), which the decoder
        // reads as that integer, not the number's exact value: such numbers take the JSON path.
        if (typeof v === 'bigint') {
          if (v < BIG_INT64_MIN || v > BIG_INT64_MAX) return false;
          (data as BigInt64Array)[p] = v;
        } else if (typeof v === 'number' && Number.isSafeInteger(v)) (data as BigInt64Array)[p] = BigInt(v);
        else return false;
        return true;
      case 'DT_UINT64':
        if (typeof v === 'bigint') {
          if (v < 0n || v > BIG_UINT64_MAX) return false;
          (data as BigUint64Array)[p] = v;
        } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) (data as BigUint64Array)[p] = BigInt(v);
        else return false;
        return true;
      case 'DT_BOOL':
        if (typeof v !== 'boolean') return false;
        (data as Uint8Array)[p] = v ? 1 : 0;
        return true;
      case 'DT_STRING':
        if (typeof v === 'string') (data as Uint8Array[])[p] = encoder.encode(v);
        else if (v instanceof Uint8Array) (data as Uint8Array[])[p] = v;
        else return false;
        return true;
      default:
        return false;
    }
  }
}
