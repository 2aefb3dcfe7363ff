// tensorflow.serving.ModelSpec read and written by hand, for Predict: every call carries one each way, and
// protobufjs's object conversion (int64 through `long`) cost more than the rest of the message's decoding.
// The objects are the ones objectCodec() gives and takes (proto-service.ts), field for field, so the two
// codecs are interchangeable; model-spec-wire.test.ts holds them to that.
//
// ModelSpec: name = 1 (string), version = 2 (google.protobuf.Int64Value { int64 value = 1 }),
// signature_name = 3 (string), version_label = 4 (string); version and version_label form a oneof.
import { lengthDelimitedSize, tagSize, varint64Size, WIRE_LEN, WIRE_VARINT, WireFormatError, WireReader, WireWriter } from '../../tensor/protobuf-wire.js';
import { utf8BytesOf, utf8Text } from '../../tensor/wire-text.js';
import type { ModelSpecMessage } from './tf-serving-messages.js';

const F_NAME = 1;
const F_VERSION = 2;
const F_SIGNATURE_NAME = 3;
const F_VERSION_LABEL = 4;
const F_INT64_VALUE = 1;

const TWO_32 = 4294967296;

/** Decodes like protobufjs: a repeated field keeps its last value, and of the oneof the member set last. */
export function decodeModelSpec(bytes: Uint8Array): ModelSpecMessage {
  const r = new WireReader(bytes);
  const message: ModelSpecMessage = {};
  while (!r.atEnd()) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType !== WIRE_LEN || field < F_NAME || field > F_VERSION_LABEL) {
      r.skip(wireType);
      continue;
    }
    const payload = r.bytes();
    if (field === F_NAME) message.name = utf8Text(payload);
    else if (field === F_SIGNATURE_NAME) message.signature_name = utf8Text(payload);
    else if (field === F_VERSION) {
      // Setting one member of the oneof clears the other.
      message.version = decodeInt64Value(payload);
      delete message.version_label;
      message.version_choice = 'version';
    } else {
      message.version_label = utf8Text(payload);
      delete message.version;
      message.version_choice = 'version_label';
    }
  }
  return orderedLikeProtobufjs(message);
}

/** protobufjs lists the fields in declaration order: name, version, version_label, signature_name, then the oneof. */
function orderedLikeProtobufjs(m: ModelSpecMessage): ModelSpecMessage {
  const out: ModelSpecMessage = {};
  if (m.name !== undefined) out.name = m.name;
  if (m.version !== undefined) out.version = m.version;
  if (m.version_label !== undefined) out.version_label = m.version_label;
  if (m.signature_name !== undefined) out.signature_name = m.signature_name;
  if (m.version_choice !== undefined) out.version_choice = m.version_choice;
  return out;
}

/** Int64Value with its value as a decimal string (int64: a varint of ten bytes is negative), as longs: String gives it. */
function decodeInt64Value(payload: Uint8Array): { value?: string } {
  const r = new WireReader(payload);
  const message: { value?: string } = {};
  while (!r.atEnd()) {
    const tag = r.uint32();
    if (tag >>> 3 === F_INT64_VALUE && (tag & 7) === WIRE_VARINT) message.value = readInt64Decimal(r);
    else r.skip(tag & 7);
  }
  return message;
}

function readInt64Decimal(r: WireReader): string {
  let lo = 0;
  let hi = 0;
  for (let i = 0; ; i++) {
    if (i === 10) throw new WireFormatError('varint longer than 10 bytes');
    if (r.pos >= r.end) throw new WireFormatError('truncated varint');
    const b = r.buf[r.pos++]!;
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else if (i === 4) {
      lo |= (b & 0x7f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else hi |= (b & 0x7f) << (7 * i - 32);
    if (b < 0x80) break;
  }
  lo >>>= 0;
  hi >>>= 0;
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/**
 * Encodes like protobufjs: fields in number order; name, signature_name and the int64 value only when not empty or
 * zero (proto3 implicit presence), the oneof members whenever the object has them.
 */
export function encodeModelSpec(message: ModelSpecMessage): Uint8Array {
  const name = message.name === undefined || message.name === '' ? undefined : utf8BytesOf(message.name);
  const signature = message.signature_name === undefined || message.signature_name === '' ? undefined : utf8BytesOf(message.signature_name);
  const label = message.version_label === undefined ? undefined : utf8BytesOf(message.version_label);
  const version = message.version === undefined ? undefined : int64Words(message.version.value);
  const versionSize = version === undefined ? 0 : version.length === 0 ? 0 : tagSize(F_INT64_VALUE) + varint64Size(version[0]!, version[1]!);
  let size = 0;
  if (name !== undefined) size += lengthDelimitedSize(F_NAME, name.length);
  if (version !== undefined) size += lengthDelimitedSize(F_VERSION, versionSize);
  if (signature !== undefined) size += lengthDelimitedSize(F_SIGNATURE_NAME, signature.length);
  if (label !== undefined) size += lengthDelimitedSize(F_VERSION_LABEL, label.length);
  const w = new WireWriter(size);
  if (name !== undefined) w.lengthDelimited(F_NAME, name);
  if (version !== undefined) {
    w.tag(F_VERSION, WIRE_LEN);
    w.uint32(versionSize);
    if (version.length > 0) {
      w.tag(F_INT64_VALUE, WIRE_VARINT);
      w.uint64(version[0]!, version[1]!);
    }
  }
  if (signature !== undefined) w.lengthDelimited(F_SIGNATURE_NAME, signature);
  if (label !== undefined) w.lengthDelimited(F_VERSION_LABEL, label);
  return w.finish();
}

/** [low, high] words of an int64 decimal; [] when the value is absent or zero (not written). */
function int64Words(decimal: string | undefined): number[] {
  if (decimal === undefined) return [];
  const n = Number(decimal);
  if (Number.isSafeInteger(n) && n >= 0) {
    if (n === 0) return [];
    const hi = Math.floor(n / TWO_32);
    return [n - hi * TWO_32, hi];
  }
  const bits = BigInt.asUintN(64, BigInt(decimal));
  return bits === 0n ? [] : [Number(bits & 0xffffffffn), Number(bits >> 32n)];
}
