// TF Serving's predict response body (`json_tensor.cc::MakeJsonFromTensors`): `{"predictions": […]}` with one
// entry per batch row for row-format requests, `{"outputs": …}` with each output's whole value for columnar
// ones. Text is written directly from the typed arrays; compact, since clients must not depend on whitespace.

import { invalidArgument } from '../errors/serving-error.js';
import { encodeBase64 } from './base64.js';
import { dtypeInfo } from './dtype.js';
import { int64Words } from './int64-words.js';
import { JsonTextWriter } from './json-text-writer.js';
import type { Tensor } from './tensor.js';

/** Output names ending in this carry raw bytes: each element is written as `{"b64": "…"}`. */
const BYTES_SUFFIX = '_bytes';

/** Writes element i of one output tensor. */
type ElementWriter = (out: JsonTextWriter, i: number) => void;

/** One output: how to write its elements and where row-format writing has got to. */
interface OutputWriter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly element: ElementWriter;
  offset: number;
}

export function encodePredictResponse(format: 'row' | 'columnar', outputs: ReadonlyMap<string, Tensor>): string {
  if (outputs.size === 0) throw invalidArgument('Cannot convert empty tensor map to JSON');
  return format === 'row' ? encodeRows(outputs) : encodeColumns(outputs);
}

function encodeRows(outputs: ReadonlyMap<string, Tensor>): string {
  const batch = rowBatchSize(outputs);
  const writers = [...outputs].map(([name, tensor]) => outputWriter(name, tensor));
  const out = new JsonTextWriter();
  out.ascii('{"predictions":[');
  for (let row = 0; row < batch; row++) {
    if (row > 0) out.byte(0x2c);
    writeRow(out, writers);
  }
  out.ascii(']}');
  return out.toString();
}

/**
 * Each entry of a row-format response's `predictions`, as its own text (what a batch job writes per line),
 * written in one pass with nothing allocated per row but the text.
 */
export function encodePredictionRows(outputs: ReadonlyMap<string, Tensor>): string[] {
  if (outputs.size === 0) throw invalidArgument('Cannot convert empty tensor map to JSON');
  const batch = rowBatchSize(outputs);
  const writers = [...outputs].map(([name, tensor]) => outputWriter(name, tensor));
  const out = new JsonTextWriter();
  const ends: number[] = new Array<number>(batch);
  for (let row = 0; row < batch; row++) {
    writeRow(out, writers);
    ends[row] = out.length;
  }
  return out.toStrings(ends);
}

/** One row: the only output's value, or an object of every output's value. */
function writeRow(out: JsonTextWriter, writers: readonly OutputWriter[]): void {
  const named = writers.length > 1;
  if (named) out.byte(0x7b);
  for (let w = 0; w < writers.length; w++) {
    const writer = writers[w]!;
    if (named) {
      if (w > 0) out.byte(0x2c);
      out.string(writer.name);
      out.byte(0x3a);
    }
    writeValue(out, writer, 1);
  }
  if (named) out.byte(0x7d);
}

/** Every output is batched along its 0th dimension, and all by the same size. */
function rowBatchSize(outputs: ReadonlyMap<string, Tensor>): number {
  let batch = -1;
  for (const [name, tensor] of outputs) {
    if (tensor.shape.length === 0) throw invalidArgument(`Tensor name: ${name} has no shape information `);
    const size = tensor.shape[0]!;
    if (batch >= 0 && batch !== size) {
      throw invalidArgument(`Tensor name: ${name} has inconsistent batch size: ${size} expecting: ${batch}`);
    }
    batch = size;
  }
  return batch;
}

function encodeColumns(outputs: ReadonlyMap<string, Tensor>): string {
  const writers = [...outputs].map(([name, tensor]) => outputWriter(name, tensor));
  const out = new JsonTextWriter();
  out.ascii('{"outputs":');
  if (writers.length === 1) {
    writeValue(out, writers[0]!, 0);
  } else {
    out.byte(0x7b);
    for (let w = 0; w < writers.length; w++) {
      const writer = writers[w]!;
      if (w > 0) out.byte(0x2c);
      out.string(writer.name);
      out.byte(0x3a);
      writeValue(out, writer, 0);
    }
    out.byte(0x7d);
  }
  out.byte(0x7d);
  return out.toString();
}

/** Writes the sub-tensor starting at dimension `dim` (a single element once past the last dimension). */
function writeValue(out: JsonTextWriter, writer: OutputWriter, dim: number): void {
  const shape = writer.shape;
  if (dim >= shape.length) {
    writer.element(out, writer.offset++);
    return;
  }
  const n = shape[dim]!;
  out.byte(0x5b);
  if (dim === shape.length - 1) {
    const element = writer.element;
    let offset = writer.offset;
    for (let i = 0; i < n; i++) {
      if (i > 0) out.byte(0x2c);
      element(out, offset++);
    }
    writer.offset = offset;
  } else {
    for (let i = 0; i < n; i++) {
      if (i > 0) out.byte(0x2c);
      writeValue(out, writer, dim + 1);
    }
  }
  out.byte(0x5d);
}

function outputWriter(name: string, tensor: Tensor): OutputWriter {
  return { name, shape: tensor.shape, element: elementWriter(name, tensor), offset: 0 };
}

function elementWriter(name: string, tensor: Tensor): ElementWriter {
  const data = tensor.data;
  switch (tensor.dtype) {
    case 'DT_FLOAT': {
      const values = data as Float32Array;
      return (out, i) => out.float32(values[i]!);
    }
    case 'DT_DOUBLE': {
      const values = data as Float64Array;
      return (out, i) => out.float64(values[i]!);
    }
    case 'DT_INT32':
    case 'DT_INT16':
    case 'DT_INT8':
    case 'DT_UINT8':
    case 'DT_UINT32': {
      const values = data as Int32Array | Int16Array | Int8Array | Uint8Array | Uint32Array;
      return (out, i) => out.integer(values[i]!);
    }
    case 'DT_INT64':
    case 'DT_UINT64': {
      const words = int64Words(data as BigInt64Array | BigUint64Array);
      const signed = tensor.dtype === 'DT_INT64';
      return (out, i) => out.int64(words, i, signed);
    }
    case 'DT_BOOL': {
      const values = data as Uint8Array;
      return (out, i) => out.ascii(values[i] ? 'true' : 'false');
    }
    case 'DT_STRING': {
      const values = data as Uint8Array[];
      if (name.endsWith(BYTES_SUFFIX)) {
        return (out, i) => {
          out.ascii('{"b64":"');
          out.ascii(encodeBase64(values[i]!));
          out.ascii('"}');
        };
      }
      return (out, i) => {
        if (!out.utf8String(values[i]!)) throw notUtf8(name);
      };
    }
    default:
      return () => {
        throw invalidArgument(`Failed to write JSON value for tensor type: ${dtypeInfo(tensor.dtype).tfShortName}`);
      };
  }
}

/**
 * TF Serving would write the raw bytes and so produce invalid JSON; a client can only get such bytes intact
 * as base64, which TF Serving does for outputs named `…_bytes`.
 */
function notUtf8(name: string): Error {
  return invalidArgument(
    `Output tensor "${name}" holds bytes that are not valid UTF-8, which JSON text cannot carry. ` +
      `Give the output a name ending in "${BYTES_SUFFIX}" (for example "${name}${BYTES_SUFFIX}") to receive ` +
      `its values base64-encoded as {"b64": "..."}.`,
  );
}
