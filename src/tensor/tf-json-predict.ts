// TF Serving's predict request body (`json_tensor.cc::FillPredictRequestFromJson`): `{"instances": […]}` (row
// format, one list element per batch row) or `{"inputs": …}` (columnar format, one value per input), decoded
// into tensors of the signature's dtypes with TF Serving's exact rules and error texts.
//
// Decoding happens in two steps because TF Serving looks the model and signature up in between: an unknown
// model must answer 404 even when the body lacks `instances`/`inputs`.

import { ServingError, invalidArgument } from '../errors/serving-error.js';
import type { DType } from './dtype.js';
import { dumpJsonValue } from './json-dump.js';
import { JSON_ARRAY, JSON_DOUBLE, JSON_INT, JSON_OBJECT, STRING_HAS_ESCAPES, type JsonTape, type JsonTapeOptions } from './json-tape.js';
import { formatError, memberName, parseTfJsonBody, type TfJsonBody } from './tf-json-body.js';
import {
  createSink,
  fillDense,
  inferShape,
  isBase64Object,
  shapeElementCount,
  shapeText,
  type DenseSink,
} from './tf-json-fill.js';
import type { TensorInfo } from './tensor-info.js';
import type { Tensor } from './tensor.js';

export { encodePredictResponse } from './tf-json-predict-response.js';

/** A parsed predict body: the signature it asks for and the parsed JSON, kept for decodePredictInputs. */
export type PredictBody = TfJsonBody;

/** Which family of JSON the request used; the response uses the same one. */
export type PredictFormat = 'row' | 'columnar';

export interface DecodedPredictInputs {
  readonly format: PredictFormat;
  readonly tensors: Map<string, Tensor>;
}

const encoder = new TextEncoder();
const INSTANCES_KEY = encoder.encode('instances');
const INPUTS_KEY = encoder.encode('inputs');

/** Steps 1–3: parse, require an object, read `signature_name`. */
export function parsePredictBody(body: Uint8Array, options?: JsonTapeOptions): PredictBody {
  return parseTfJsonBody(body, options);
}

/** Step 5: the tensors of `instances` or `inputs`, typed by the signature's inputs (keyed by alias). */
export function decodePredictInputs(body: PredictBody, inputs: ReadonlyMap<string, TensorInfo>): DecodedPredictInputs {
  const tape = body.tape;
  if (tape.released) throw new Error('predict inputs decoded after the request body was released');
  if (inputs.size === 0) {
    throw invalidArgument(`Failed to get input map for signature: ${body.requestedSignatureName || 'DEFAULT'}`);
  }
  const instances = tape.findMember(0, INSTANCES_KEY);
  const columns = tape.findMember(0, INPUTS_KEY);
  if (instances >= 0) {
    if (columns >= 0) {
      throw formatError(tape, 0, "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ");
    }
    if (tape.kinds[instances] !== JSON_ARRAY) throw formatError(tape, 0, "Expecting 'instances' to be an list/array");
    if (tape.aux[instances] === 0) throw formatError(tape, 0, "No values in 'instances' array");
    return { format: 'row', tensors: new RowDecoder(tape, instances, inputs).decode() };
  }
  if (columns >= 0) return { format: 'columnar', tensors: decodeColumns(tape, columns, inputs) };
  throw invalidArgument("Missing 'inputs' or 'instances' key");
}

/** An object that is not a `{"b64": …}` value: a row of named inputs. */
function isNamedRow(tape: JsonTape, t: number): boolean {
  return tape.kinds[t] === JSON_OBJECT && !isBase64Object(tape, t);
}

/** `CODE: message`, as absl::Status::ToString() prints a status inside another message. */
function statusText(err: ServingError): string {
  return `${err.code}: ${err.message}`;
}

/** What a row decoder needs of one signature input; computed once per signature. */
interface InputTemplate {
  readonly name: string;
  readonly nameBytes: Uint8Array;
  readonly dtype: DType;
  /** DT_FLOAT or DT_DOUBLE: rows that are flat lists of numbers take the fast path. */
  readonly floating: boolean;
}

const templates = new WeakMap<ReadonlyMap<string, TensorInfo>, readonly InputTemplate[]>();

function inputTemplates(inputs: ReadonlyMap<string, TensorInfo>): readonly InputTemplate[] {
  let found = templates.get(inputs);
  if (found === undefined) {
    found = [...inputs].map(([name, info]) => ({
      name,
      nameBytes: encoder.encode(name),
      dtype: info.dtype,
      floating: info.dtype === 'DT_FLOAT' || info.dtype === 'DT_DOUBLE',
    }));
    templates.set(inputs, found);
  }
  return found;
}

interface RowInput {
  readonly name: string;
  readonly nameBytes: Uint8Array;
  readonly dtype: DType;
  readonly floating: boolean;
  /** Element shape, fixed by the first row that has this input. */
  dims: number[] | undefined;
  size: number;
  sink: DenseSink | undefined;
  /** Index of the last row whose object had this key (to count distinct keys without a Set per row). */
  lastRow: number;
}

/** `instances`: each element is one batch row, either the value of the only input or an object of inputs. */
class RowDecoder {
  private readonly rows: RowInput[];
  private readonly rowCount: number;
  /** Tokens inside `instances`: no valid request has more elements than that, whatever shapes it claims. */
  private budget: number;
  /** For member position m of a row object, the input that matched there last time. */
  private readonly guess: number[] = [];

  constructor(
    private readonly tape: JsonTape,
    private readonly list: number,
    private readonly inputs: ReadonlyMap<string, TensorInfo>,
  ) {
    this.rows = inputTemplates(inputs).map((t) => ({
      name: t.name,
      nameBytes: t.nameBytes,
      dtype: t.dtype,
      floating: t.floating,
      dims: undefined,
      size: 0,
      sink: undefined,
      lastRow: -1,
    }));
    this.rowCount = tape.aux[list]!;
    this.budget = tape.ends[list]! - list;
  }

  decode(): Map<string, Tensor> {
    const tape = this.tape;
    const first = this.list + 1;
    if (tape.kinds[first] !== JSON_OBJECT && this.rows.length > 1) {
      throw invalidArgument(
        'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map',
      );
    }
    const named = isNamedRow(tape, first);
    const end = tape.ends[this.list]!;
    let i = 0;
    for (let e = first; e < end; e = tape.next(e), i++) {
      if (named) this.namedRow(e, i);
      else this.plainRow(e, i);
    }

    const tensors = new Map<string, Tensor>();
    for (const row of this.rows) {
      if (row.dims === undefined) continue;
      const data = row.sink?.data;
      if (data === undefined) throw new Error('rows with more elements than tokens passed the shape checks');
      tensors.set(row.name, { dtype: row.dtype, shape: [this.rowCount, ...row.dims], data });
    }
    return tensors;
  }

  private plainRow(e: number, i: number): void {
    if (isNamedRow(this.tape, e)) throw invalidArgument(`Expecting value/list but got object at item ${i} of input list`);
    try {
      this.addItem(this.rows[0]!, e);
    } catch (err) {
      if (!(err instanceof ServingError)) throw err;
      throw invalidArgument(`Failed to process element: ${i} of 'instances' list. Error: ${statusText(err)}`);
    }
  }

  private namedRow(e: number, i: number): void {
    const tape = this.tape;
    if (!isNamedRow(tape, e)) throw invalidArgument(`Expecting object but got list at item ${i} of input list`);
    const end = tape.ends[e]!;
    let distinct = 0;
    for (let k = e + 1, m = 0; k < end; k = tape.next(k + 1), m++) {
      const index = this.findInput(k, m);
      const name = index >= 0 ? this.rows[index]!.name : memberName(tape, k);
      try {
        if (index < 0) throw invalidArgument(`JSON object: does not have named input: ${name}`);
        const row = this.rows[index]!;
        if (row.lastRow !== i) {
          row.lastRow = i;
          distinct++;
        }
        // A repeated key adds its values again; like TF Serving we keep the first values that fit the tensor.
        this.addItem(row, k + 1);
      } catch (err) {
        if (!(err instanceof ServingError)) throw err;
        throw invalidArgument(`Failed to process element: ${i} key: ${name} of 'instances' list. Error: ${statusText(err)}`);
      }
    }
    if (distinct !== this.rows.length) {
      throw invalidArgument(
        `Failed to process element: ${i} of 'instances' list. JSON object: ${dumpJsonValue(tape, e)} keys must be equal to: ${sortedNames(this.inputs).join(',')}`,
      );
    }
  }

  /** Index of the input named by key token k (the m-th member of its object), or -1. */
  private findInput(k: number, m: number): number {
    const tape = this.tape;
    const rows = this.rows;
    if ((tape.aux[k]! & STRING_HAS_ESCAPES) === 0) {
      const g = this.guess[m];
      if (g !== undefined && tape.keyEquals(k, rows[g]!.nameBytes)) return g;
      for (let r = 0; r < rows.length; r++) {
        if (tape.keyEquals(k, rows[r]!.nameBytes)) {
          this.guess[m] = r;
          return r;
        }
      }
      return -1;
    }
    const name = memberName(tape, k);
    return rows.findIndex((row) => row.name === name);
  }

  /** One row's value of one input (AddInstanceItem). */
  private addItem(row: RowInput, v: number): void {
    if (row.floating && this.addNumberList(row, v)) return;
    const dims = inferShape(this.tape, v);
    const size = shapeElementCount(dims);
    if (row.dims === undefined) this.startInput(row, dims, size);
    const sameSize = size === row.size;
    fillDense(this.tape, v, dims, sameSize ? row.sink! : createSink(row.dtype, undefined));
    if (!sameSize) throw invalidArgument(`Expecting tensor size: ${row.size} but got: ${size}`);
    if (!sameDims(dims, row.dims!)) {
      throw invalidArgument(`Expecting shape ${shapeText(row.dims!)} but got: ${shapeText(dims)}`);
    }
  }

  /** The first row with this input fixes its element shape and allocates the tensor. */
  private startInput(row: RowInput, dims: number[], size: number): void {
    row.dims = dims;
    row.size = size;
    const total = this.rowCount * size;
    // More elements than tokens means some row must fail; check rows without allocating in that case.
    const affordable = total <= this.budget;
    if (affordable) this.budget -= total;
    row.sink = createSink(row.dtype, affordable ? total : undefined);
  }

  /**
   * The common case in one pass: a non-empty flat list of numbers for a float input of that length.
   * Anything else (nesting, other values, a size that does not match) returns false before writing, and
   * the general path then decodes the value or reports what is wrong with it.
   */
  private addNumberList(row: RowInput, v: number): boolean {
    const tape = this.tape;
    const size = tape.aux[v]!;
    // A list whose elements are all scalars spans exactly size + 1 tokens.
    if (tape.kinds[v] !== JSON_ARRAY || size === 0 || tape.ends[v] !== v + 1 + size) return false;
    const kinds = tape.kinds;
    for (let c = v + 1; c <= v + size; c++) {
      const k = kinds[c];
      if (k !== JSON_DOUBLE && k !== JSON_INT) return false;
    }
    if (row.dims === undefined) this.startInput(row, [size], size);
    const dims = row.dims!;
    const sink = row.sink!;
    const data = sink.data as Float32Array | Float64Array | undefined;
    if (dims.length !== 1 || dims[0] !== size || data === undefined || sink.pos + size > data.length) return false;
    const nums = tape.nums;
    let p = sink.pos;
    for (let c = v + 1; c <= v + size; c++) data[p++] = nums[c]!;
    sink.pos = p;
    return true;
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Input names in the byte order of their UTF-8 text (std::set<string> order). */
function sortedNames(inputs: ReadonlyMap<string, TensorInfo>): string[] {
  return [...inputs.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** `inputs`: one value for the only input, or an object with a value per input (extra keys ignored). */
function decodeColumns(tape: JsonTape, value: number, inputs: ReadonlyMap<string, TensorInfo>): Map<string, Tensor> {
  const budget = { remaining: tape.next(value) - value };
  const tensors = new Map<string, Tensor>();
  if (tape.kinds[value] !== JSON_OBJECT || isBase64Object(tape, value)) {
    if (inputs.size > 1) {
      throw invalidArgument(
        'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map',
      );
    }
    const [name, info] = inputs.entries().next().value as [string, TensorInfo];
    tensors.set(name, decodeValue(tape, value, info.dtype, budget));
    return tensors;
  }
  for (const [name, info] of inputs) {
    const item = tape.findMember(value, encoder.encode(name));
    if (item < 0) throw invalidArgument(`Missing named input: ${name} in 'inputs' object.`);
    tensors.set(name, decodeValue(tape, item, info.dtype, budget));
  }
  return tensors;
}

function decodeValue(tape: JsonTape, t: number, dtype: DType, budget: { remaining: number }): Tensor {
  const dims = inferShape(tape, t);
  const size = shapeElementCount(dims);
  const affordable = size <= budget.remaining;
  if (affordable) budget.remaining -= size;
  const sink = createSink(dtype, affordable ? size : undefined);
  fillDense(tape, t, dims, sink);
  if (sink.data === undefined) throw new Error('a value with more elements than tokens passed the shape checks');
  return { dtype, shape: dims, data: sink.data };
}
