import { ServingError } from '../errors/serving-error.js';
import type { DType } from '../tensor/dtype.js';
import { allocateData, isStringData, type Tensor, type TensorData } from '../tensor/tensor.js';

/** Where concatRows gets the memory of a merged input: fresh by default, or reused between batches. */
export type Allocator = (dtype: DType, count: number) => TensorData;

/** Rows of a request: the shared 0th dimension of all its inputs (TF Serving's batching rules). */
export function taskRows(inputs: ReadonlyMap<string, Tensor>): number {
  let rows = -1;
  for (const tensor of inputs.values()) {
    if (tensor.shape.length === 0) throw new ServingError('INVALID_ARGUMENT', 'Batching Run() input tensors must have at least one dimension');
    const d0 = tensor.shape[0] as number;
    if (rows === -1) rows = d0;
    else if (rows !== d0) throw new ServingError('INVALID_ARGUMENT', 'Batching Run() input tensors must have equal 0th-dimension size');
  }
  return Math.max(rows, 0);
}

/** True when every input has the same non-batch dimensions in both requests, so they can share a batch unpadded. */
export function sameInnerShapes(a: ReadonlyMap<string, Tensor>, b: ReadonlyMap<string, Tensor>): boolean {
  for (const [name, ta] of a) {
    const tb = b.get(name);
    if (tb === undefined || ta.shape.length !== tb.shape.length) return false;
    for (let i = 1; i < ta.shape.length; i++) if (ta.shape[i] !== tb.shape[i]) return false;
  }
  return true;
}

/**
 * Concatenates one input of several requests along dimension 0 into `totalRows` rows. Inner
 * dimensions are padded to the largest among the parts (each part padded with its own first
 * element, as TF Serving's pad_variable_length_inputs does); rows past the parts repeat the first
 * row of the last part (padding up to an allowed batch size).
 */
export function concatRows(parts: readonly Tensor[], totalRows: number, allocate: Allocator = allocateData): Tensor {
  const first = parts[0] as Tensor;
  const rank = first.shape.length;
  const inner = first.shape.slice(1);
  for (const part of parts) for (let d = 1; d < rank; d++) inner[d - 1] = Math.max(inner[d - 1] as number, part.shape[d] as number);
  const rowSize = inner.reduce((a, b) => a * b, 1);
  // Every element is written below, so the allocator may hand back used memory.
  const data = allocate(first.dtype, totalRows * rowSize);
  let row = 0;
  for (const part of parts) {
    const rows = part.shape[0] as number;
    if (sameDims(part.shape, inner)) copyInto(data, part.data, 0, row * rowSize, rows * rowSize);
    else padInto(data, part, inner, row * rowSize);
    row += rows;
  }
  // Padding rows repeat the first row of the last request, which is already in the batch.
  const padSource = firstRowOfLast(parts, rowSize);
  for (; row < totalRows; row++) copyWithin(data, padSource, row * rowSize, rowSize);
  return { dtype: first.dtype, shape: [totalRows, ...inner], data };
}

function firstRowOfLast(parts: readonly Tensor[], rowSize: number): number {
  let rows = 0;
  for (let i = 0; i < parts.length - 1; i++) rows += (parts[i] as Tensor).shape[0] as number;
  return rows * rowSize;
}

function sameDims(shape: readonly number[], inner: readonly number[]): boolean {
  for (let d = 1; d < shape.length; d++) if (shape[d] !== inner[d - 1]) return false;
  return true;
}

function copyInto(target: TensorData, source: TensorData, sourceStart: number, targetStart: number, count: number): void {
  if (isStringData(target)) {
    const src = source as Uint8Array[];
    for (let i = 0; i < count; i++) target[targetStart + i] = src[sourceStart + i] as Uint8Array;
  } else if (sourceStart === 0 && count === source.length) {
    // The whole part, the usual case: no subarray view to allocate.
    (target as Float32Array).set(source as Float32Array, targetStart);
  } else {
    (target as Float32Array).set((source as Float32Array).subarray(sourceStart, sourceStart + count), targetStart);
  }
}

function copyWithin(data: TensorData, sourceStart: number, targetStart: number, count: number): void {
  if (isStringData(data)) {
    for (let i = 0; i < count; i++) data[targetStart + i] = data[sourceStart + i] as Uint8Array;
  } else {
    (data as Float32Array).copyWithin(targetStart, sourceStart, sourceStart + count);
  }
}

/** Copies a part whose inner dims are smaller than the batch's, filling the gaps with its first element. */
function padInto(target: TensorData, part: Tensor, inner: readonly number[], targetStart: number): void {
  const rows = part.shape[0] as number;
  const innerSize = inner.reduce((a, b) => a * b, 1);
  const partInner = part.shape.slice(1);
  const fill = isStringData(part.data) ? part.data[0] : (part.data as Float32Array)[0];
  const index = new Array<number>(inner.length).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < innerSize; i++) {
      // Decompose i into batch-shape coordinates, then map into the part's own layout.
      let rem = i;
      for (let d = inner.length - 1; d >= 0; d--) {
        index[d] = rem % (inner[d] as number);
        rem = Math.floor(rem / (inner[d] as number));
      }
      let inside = true;
      let source = 0;
      for (let d = 0; d < inner.length; d++) {
        const extent = partInner[d] as number;
        if ((index[d] as number) >= extent) inside = false;
        source = source * extent + (index[d] as number);
      }
      const value = inside ? (isStringData(part.data) ? part.data[r * sizeOf(partInner) + source] : (part.data as Float32Array)[r * sizeOf(partInner) + source]) : fill;
      (target as unknown as unknown[])[targetStart + r * innerSize + i] = value;
    }
  }
}

function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Rows [start, start + rows) of a batched output, without copying numeric data. */
export function sliceRows(tensor: Tensor, start: number, rows: number): Tensor {
  const shape = tensor.shape.slice();
  shape[0] = rows;
  let rowSize = 1;
  for (let d = 1; d < shape.length; d++) rowSize *= shape[d]!;
  const from = start * rowSize;
  const to = from + rows * rowSize;
  const data = isStringData(tensor.data) ? tensor.data.slice(from, to) : (tensor.data as Float32Array).subarray(from, to);
  return { dtype: tensor.dtype, shape, data };
}
