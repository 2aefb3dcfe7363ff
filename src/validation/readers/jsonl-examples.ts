/**
 * JSON lines: one object per line. Scalars become one-value lists, arrays become lists, null or an absent key
 * is missing, booleans are INT 0/1 (the TFDV-compatible mapping); numbers are INT when integral and written
 * without a fraction or exponent (`2`), FLOAT otherwise (`2.5`, and `2.0` as Python writes a float);
 * `{"b64": "…"}` (TF Serving's JSON for bytes, as the request log writes them) is a bytes value.
 */
import { ServingError } from '../../errors/serving-error.js';
import { readTextLines } from '../../readers/text-lines.js';
import { BYTES_VALUE_PLACEHOLDER, type FeatureValues, type ValueKind } from '../example-values.js';
import type { ExampleRecord } from './example-source.js';
import { floatTextKeys } from './json-float-keys.js';

export async function* readJsonLinesExamples(file: string): AsyncGenerator<ExampleRecord> {
  for await (const { line: lineNumber, text } of readTextLines(file)) {
    if (text.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ServingError('INVALID_ARGUMENT', `${file}:${lineNumber}: not valid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ServingError('INVALID_ARGUMENT', `${file}:${lineNumber}: expected a JSON object per line, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
    }
    const example = new Map<string, FeatureValues>();
    // Only a line with a '.', 'e' or 'E' somewhere can hold a float written as one.
    const floats = FLOAT_TEXT_CHARS.test(text) ? floatTextKeys(text) : undefined;
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      const list = toFeatureValues(value, file, lineNumber, name, undefined, floats?.has(name) === true);
      if (list !== undefined) example.set(name, list);
    }
    yield { example, position: lineNumber };
  }
}

const FLOAT_TEXT_CHARS = /[.eE]/;

/**
 * Maps one JSON (or Parquet) cell to a value list; undefined when missing. `fixedFloat` marks a column whose
 * declared type is floating point, so integral values stay FLOAT and the feature's type is known up front;
 * `floatText` a JSON value whose numbers were written as floats, so integral ones are FLOAT too.
 */
export function toFeatureValues(value: unknown, file: string, position: number, name: string, fixedFloat?: boolean, floatText = false): FeatureValues | undefined {
  if (value === null || value === undefined) return undefined;
  const fixedType = fixedFloat !== undefined;
  const floatColumn = fixedFloat === true || floatText;
  // Fast path for the common case of one number or string.
  if (typeof value === 'number') return { kind: floatColumn || !Number.isInteger(value) ? 'float' : 'int', values: [value], fixedType };
  if (typeof value === 'string') return { kind: 'string', values: [value], fixedType };
  const where = (): string => (fixedType ? `${file} row ${position}: column "${name}"` : `${file}:${position}: feature "${name}"`);
  const items = Array.isArray(value) ? value : [value];
  let kind: ValueKind | undefined;
  const values: Array<number | string> = new Array(items.length);
  // Set once a {"b64": …} value is met: bytes are then measured as read, and non-UTF-8 ones counted.
  let bytesRead: { byteLength: number; invalid: number } | undefined;
  items.forEach((item, i) => {
    const bytes = base64Bytes(item);
    if (bytes !== undefined) {
      bytesRead ??= { byteLength: 0, invalid: 0 };
      const text = utf8Text(bytes);
      if (text === undefined) bytesRead.invalid++;
      values[i] = text ?? BYTES_VALUE_PLACEHOLDER;
      kind = 'string';
      return;
    }
    const scalar = toScalar(item, where);
    values[i] = scalar.value;
    kind = widerKind(kind, floatColumn && scalar.kind === 'int' ? 'float' : scalar.kind);
  });
  if (kind === 'string') for (let i = 0; i < values.length; i++) values[i] = String(values[i]);
  if (bytesRead !== undefined) {
    for (let i = 0; i < items.length; i++) {
      const bytes = base64Bytes(items[i]);
      bytesRead.byteLength += bytes !== undefined ? bytes.length : Buffer.byteLength(values[i] as string, 'utf8');
    }
    return { kind: 'string', values, fixedType, byteLength: bytesRead.byteLength, invalidUtf8: bytesRead.invalid };
  }
  return { kind: kind ?? 'int', values, fixedType };
}

/** TF Serving's JSON for bytes, `{"b64": "…"}`: the bytes; undefined for anything else. */
function base64Bytes(item: unknown): Buffer | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const b64 = (item as { b64?: unknown }).b64;
  return typeof b64 === 'string' && Object.keys(item).length === 1 ? Buffer.from(b64, 'base64') : undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function toScalar(item: unknown, where: () => string): { kind: ValueKind; value: number | string } {
  switch (typeof item) {
    case 'number':
      return { kind: Number.isInteger(item) ? 'int' : 'float', value: item };
    case 'bigint':
      return { kind: 'int', value: Number(item) };
    case 'boolean':
      return { kind: 'int', value: item ? 1 : 0 };
    case 'string':
      return { kind: 'string', value: item };
    default:
      break;
  }
  if (item instanceof Date) return { kind: 'int', value: item.getTime() };
  if (item instanceof Uint8Array) return { kind: 'string', value: Buffer.from(item).toString('utf8') };
  const what = item === null ? 'a null inside a list' : Array.isArray(item) ? 'a nested list' : 'an object';
  throw new ServingError('INVALID_ARGUMENT', `${where()}: holds ${what}; only scalars, {"b64": …} bytes and flat lists of them are supported`);
}

const KIND_ORDER: Record<ValueKind, number> = { int: 0, float: 1, text: 2, string: 3 };

function widerKind(a: ValueKind | undefined, b: ValueKind): ValueKind {
  return a === undefined || KIND_ORDER[b] > KIND_ORDER[a] ? b : a;
}
