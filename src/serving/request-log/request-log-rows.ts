/**
 * A served predict request as JSON lines, one per instance row, in the shape `millrace stats` reads: each input
 * name → the row's value (a number, boolean or string; a flat list, row-major, when the instance has several
 * elements), then the model name, version, signature and time under reserved `__` names that stats can slice
 * by or leave out (`--exclude_features '__*'`). Bytes that are not UTF-8 are written as TF Serving's
 * `{"b64": …}`; NaN and ±Infinity, which JSON cannot hold, as the strings "NaN", "Infinity", "-Infinity".
 */
import type { ResolvedModelSpec } from '../predictor.js';
import { formatFloat32 } from '../../tensor/float-text.js';
import { isStringData, type Tensor } from '../../tensor/tensor.js';

export const REQUEST_LOG_FIELDS = {
  modelName: '__model_name',
  modelVersion: '__model_version',
  signatureName: '__signature_name',
  /** Milliseconds since the epoch when the request was served. */
  timestamp: '__timestamp_ms',
} as const;

export interface LoggedRequest {
  readonly model: ResolvedModelSpec;
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly timestampMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request's lines, each ending in "\n". Inputs that share a first dimension n give n rows (row i holds
 * slice i of each; none when n is 0); otherwise the request is one row holding every input whole.
 */
export function requestLogLines(request: LoggedRequest): string {
  const inputs = [...request.inputs];
  const tensors = inputs.map(([, t]) => t);
  const first = tensors[0]?.shape[0];
  const batched = first !== undefined && tensors.every((t) => t.shape.length >= 1 && t.shape[0] === first);
  const rows = batched ? first : 1;
  const meta =
    `${JSON.stringify(REQUEST_LOG_FIELDS.modelName)}:${JSON.stringify(request.model.name)}` +
    `,${JSON.stringify(REQUEST_LOG_FIELDS.modelVersion)}:${request.model.version}` +
    `,${JSON.stringify(REQUEST_LOG_FIELDS.signatureName)}:${JSON.stringify(request.model.signatureName)}` +
    `,${JSON.stringify(REQUEST_LOG_FIELDS.timestamp)}:${request.timestampMs}}\n`;
  const keys = inputs.map(([name]) => `${JSON.stringify(name)}:`);
  // Per input: elements in one row, and whether a row's value is a scalar.
  const per = tensors.map((t) => (batched ? elementsOf(t) / rows : elementsOf(t)));
  const scalar = tensors.map((t) => t.shape.length === (batched ? 1 : 0));
  let out = '';
  for (let row = 0; row < rows; row++) {
    let line = '{';
    for (let i = 0; i < tensors.length; i++) line += `${keys[i]}${valueText(tensors[i]!, row * per[i]!, per[i]!, scalar[i]!)},`;
    out += line + meta;
  }
  return out;
}

function elementsOf(tensor: Tensor): number {
  let n = 1;
  for (const d of tensor.shape) n *= d;
  return n;
}

/** Elements [start, start + count) as one JSON value: a scalar when `scalar`, else a flat list. */
function valueText(tensor: Tensor, start: number, count: number, scalar: boolean): string {
  if (scalar && count === 1) return element(tensor, start);
  const parts: string[] = new Array(count);
  for (let i = 0; i < count; i++) parts[i] = element(tensor, start + i);
  return `[${parts.join(',')}]`;
}

function element(tensor: Tensor, i: number): string {
  const data = tensor.data;
  if (isStringData(data)) return bytesText(data[i]!);
  switch (tensor.dtype) {
    case 'DT_FLOAT':
      return finite((data as Float32Array)[i]!, formatFloat32);
    case 'DT_DOUBLE':
      return finite((data as Float64Array)[i]!, String);
    case 'DT_HALF':
      return finite(halfToNumber((data as Uint16Array)[i]!), String);
    case 'DT_BOOL':
      return (data as Uint8Array)[i] === 0 ? 'false' : 'true';
    default:
      // Integers, int64 included: their decimal text is exact JSON.
      return String(data[i]);
  }
}

function finite(v: number, format: (v: number) => string): string {
  if (Number.isFinite(v)) return format(v);
  return v !== v ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

function bytesText(bytes: Uint8Array): string {
  try {
    return JSON.stringify(utf8.decode(bytes));
  } catch {
    return `{"b64":"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}"}`;
  }
}

/** IEEE 754 half-precision bits to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
