// tf.train.Example (tensorflow/core/example/example.proto, feature.proto) ⇄ the in-memory Example, read and
// written straight from the wire: packed float and int64 lists go to typed arrays, bytes stay views of the input.
import {
  concatBytes,
  copyLittleEndian,
  countVarints,
  decodePackedVarints64,
  lengthDelimitedSize,
  littleEndianBytes,
  packedVarints64Size,
  WIRE_I32,
  WIRE_LEN,
  WIRE_VARINT,
  WireFormatError,
  WireReader,
  WireWriter,
} from './protobuf-wire.js';
import type { Example, Feature } from './example.js';

// Example.features = 1; Features.feature = 1 (map entries: key = 1, value = 2);
// Feature: bytes_list = 1, float_list = 2, int64_list = 3; each list's values = 1.
const F_FEATURES = 1;
const F_FEATURE_MAP = 1;
const F_KEY = 1;
const F_VALUE = 2;
const F_BYTES_LIST = 1;
const F_FLOAT_LIST = 2;
const F_INT64_LIST = 3;
const F_LIST_VALUE = 1;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes a serialized tf.Example. A feature name seen twice keeps its last value (protobuf map semantics);
 * malformed bytes throw WireFormatError saying what was wrong.
 */
export function decodeExample(bytes: Uint8Array): Example {
  const example: Example = new Map();
  const r = new WireReader(bytes);
  while (!r.atEnd()) {
    const tag = r.uint32();
    if (tag >>> 3 === F_FEATURES && (tag & 7) === WIRE_LEN) readFeatures(r.bytes(), example);
    else r.skip(tag & 7);
  }
  return example;
}

function readFeatures(bytes: Uint8Array, example: Example): void {
  const r = new WireReader(bytes);
  while (!r.atEnd()) {
    const tag = r.uint32();
    if (tag >>> 3 !== F_FEATURE_MAP || (tag & 7) !== WIRE_LEN) {
      r.skip(tag & 7);
      continue;
    }
    const entry = new WireReader(r.bytes());
    let name = '';
    let feature: Feature = { kind: 'none', values: [] };
    while (!entry.atEnd()) {
      const entryTag = entry.uint32();
      if (entryTag >>> 3 === F_KEY && (entryTag & 7) === WIRE_LEN) name = decodeName(entry.bytes());
      else if (entryTag >>> 3 === F_VALUE && (entryTag & 7) === WIRE_LEN) feature = readFeature(entry.bytes());
      else entry.skip(entryTag & 7);
    }
    example.set(name, feature);
  }
}

function decodeName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WireFormatError('a feature name is not valid UTF-8');
  }
}

/** The last list kind set wins (a oneof); repeated occurrences of the same list are merged. */
function readFeature(bytes: Uint8Array): Feature {
  const r = new WireReader(bytes);
  let kind = 0;
  let parts: Uint8Array[] = [];
  while (!r.atEnd()) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((field === F_BYTES_LIST || field === F_FLOAT_LIST || field === F_INT64_LIST) && (tag & 7) === WIRE_LEN) {
      if (field !== kind) parts = [];
      kind = field;
      parts.push(r.bytes());
    } else r.skip(tag & 7);
  }
  switch (kind) {
    case F_BYTES_LIST:
      return { kind: 'bytes', values: parts.flatMap(readBytesList) };
    case F_FLOAT_LIST:
      return { kind: 'float', values: readFloatList(parts) };
    case F_INT64_LIST:
      return { kind: 'int64', values: readInt64List(parts) };
    default:
      return { kind: 'none', values: [] };
  }
}

function readBytesList(bytes: Uint8Array): Uint8Array[] {
  const values: Uint8Array[] = [];
  const r = new WireReader(bytes);
  while (!r.atEnd()) {
    const tag = r.uint32();
    if (tag >>> 3 === F_LIST_VALUE && (tag & 7) === WIRE_LEN) values.push(r.bytes());
    else r.skip(tag & 7);
  }
  return values;
}

/** Float values packed (one payload of 4-byte floats) or not (a fixed32 per value), in wire order. */
function readFloatList(lists: readonly Uint8Array[]): Float32Array {
  const chunks: Uint8Array[] = [];
  for (const bytes of lists) {
    const r = new WireReader(bytes);
    while (!r.atEnd()) {
      const tag = r.uint32();
      if (tag >>> 3 !== F_LIST_VALUE) r.skip(tag & 7);
      else if ((tag & 7) === WIRE_LEN) chunks.push(r.bytes());
      else if ((tag & 7) === WIRE_I32) {
        const start = r.pos;
        r.skip(WIRE_I32);
        chunks.push(r.buf.subarray(start, r.pos));
      } else throw new WireFormatError(`float_list value has wire type ${tag & 7}`);
    }
  }
  const bytes = concatBytes(chunks);
  if (bytes.length % 4 !== 0) throw new WireFormatError(`packed float_list of ${bytes.length} bytes is not a whole number of floats`);
  const out = new Float32Array(bytes.length / 4);
  copyLittleEndian(bytes, out);
  return out;
}

/** Int64 values packed (one payload of varints) or not (a varint per value), in wire order. */
function readInt64List(lists: readonly Uint8Array[]): BigInt64Array {
  const chunks: Uint8Array[] = [];
  for (const bytes of lists) {
    const r = new WireReader(bytes);
    while (!r.atEnd()) {
      const tag = r.uint32();
      if (tag >>> 3 !== F_LIST_VALUE) r.skip(tag & 7);
      else if ((tag & 7) === WIRE_LEN) chunks.push(r.bytes());
      else if ((tag & 7) === WIRE_VARINT) {
        const start = r.pos;
        r.skip(WIRE_VARINT);
        chunks.push(r.buf.subarray(start, r.pos));
      } else throw new WireFormatError(`int64_list value has wire type ${tag & 7}`);
    }
  }
  const bytes = concatBytes(chunks);
  const out = new BigInt64Array(countVarints(bytes));
  decodePackedVarints64(bytes, out);
  return out;
}

/** Serializes an Example (lists packed, as TensorFlow writes them; features in the Map's order). */
export function encodeExample(example: Example): Uint8Array {
  const entries: Uint8Array[] = [];
  for (const [name, feature] of example) {
    const key = utf8Encoder.encode(name);
    const value = encodeFeature(feature);
    const w = new WireWriter(lengthDelimitedSize(F_KEY, key.length) + lengthDelimitedSize(F_VALUE, value.length));
    w.lengthDelimited(F_KEY, key);
    w.lengthDelimited(F_VALUE, value);
    entries.push(w.finish());
  }
  let featuresSize = 0;
  for (const e of entries) featuresSize += lengthDelimitedSize(F_FEATURE_MAP, e.length);
  const features = new WireWriter(featuresSize);
  for (const e of entries) features.lengthDelimited(F_FEATURE_MAP, e);
  const out = new WireWriter(lengthDelimitedSize(F_FEATURES, featuresSize));
  out.lengthDelimited(F_FEATURES, features.finish());
  return out.finish();
}

function encodeFeature(feature: Feature): Uint8Array {
  let field: number;
  let list: Uint8Array;
  switch (feature.kind) {
    case 'none':
      return new Uint8Array(0);
    case 'bytes': {
      field = F_BYTES_LIST;
      let size = 0;
      for (const v of feature.values) size += lengthDelimitedSize(F_LIST_VALUE, v.length);
      const w = new WireWriter(size);
      for (const v of feature.values) w.lengthDelimited(F_LIST_VALUE, v);
      list = w.finish();
      break;
    }
    case 'float': {
      field = F_FLOAT_LIST;
      list = packed(littleEndianBytes(feature.values));
      break;
    }
    case 'int64': {
      field = F_INT64_LIST;
      const w = new WireWriter(packedVarints64Size(feature.values));
      w.packedVarints64(feature.values);
      list = packed(w.finish());
      break;
    }
  }
  const w = new WireWriter(lengthDelimitedSize(field, list.length));
  w.lengthDelimited(field, list);
  return w.finish();
}

/** A list message holding one packed payload (empty lists have no field at all). */
function packed(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) return payload;
  const w = new WireWriter(lengthDelimitedSize(F_LIST_VALUE, payload.length));
  w.lengthDelimited(F_LIST_VALUE, payload);
  return w.finish();
}
