// A request-body JSON parser that builds no per-value JavaScript objects.
//
// The body is parsed once into a "tape": parallel typed arrays with one entry per token (value or object key)
// in document order. Containers record where they end, so later stages can skip them or walk them without
// recursion into a DOM. Numbers keep their value exactly as rapidjson computes it; strings keep their byte
// range and are decoded only when someone asks. Errors, offsets and accepted syntax follow rapidjson 1.1.0 as
// TF Serving configures it (NaN/Infinity allowed), with three deliberate differences:
// - strings must be valid UTF-8, and `\uDC00`-style lone low surrogates are rejected (rapidjson would pass
//   both through as invalid UTF-8 bytes),
// - nesting is limited (rapidjson recurses without limit, so deep input can crash it),
// - by default anything after the first complete value is ignored (`trailing: 'reject'` gives rapidjson's
//   own `The document root must not be followed by other values.`).
//
// Token layout: token i has `kinds[i]`, `starts[i]` (byte offset; for strings the opening quote) and
// `ends[i]`: for scalars the byte offset after the token (for strings: the closing quote), for arrays and
// objects the index of the first token after the container. `aux[i]` holds the element (or member) count of
// a container, the FITS_* flags of an integer, or the STRING_* flags of a string. An object's members are
// laid out as key token, value token, key token, value token, …

import { emptyBodyError, JsonParseError, JsonParseReason, nestingTooDeepReason } from './json-parse-error.js';
import { BIG_INTEGER, scanNumber, type ScannedNumber } from './json-number.js';
import { checkEscape, unescapeString } from './json-escapes.js';
import { utf8SequenceLength } from './utf8.js';

export const JSON_NULL = 0;
export const JSON_FALSE = 1;
export const JSON_TRUE = 2;
export const JSON_STRING = 3;
/** A number token without fraction or exponent whose value fits int64 or uint64. */
export const JSON_INT = 4;
/** Any other number, including NaN and ±Infinity. */
export const JSON_DOUBLE = 5;
export const JSON_ARRAY = 6;
export const JSON_OBJECT = 7;

export type JsonKind = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** String flag: the raw text contains escapes, so its bytes are not the value's bytes. */
export const STRING_HAS_ESCAPES = 1;

export const DEFAULT_MAX_DEPTH = 512;

export interface JsonTapeOptions {
  /** Deepest allowed nesting of arrays and objects (default 512). */
  readonly maxDepth?: number;
  /** What to do with non-whitespace after the first complete value (default: ignore it). */
  readonly trailing?: 'ignore' | 'reject';
}

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class JsonTape {
  private buffer: Buffer | undefined;
  /** True once release() handed the arrays on: reading them now would read another parse's tokens. */
  released = false;

  constructor(
    readonly bytes: Uint8Array,
    /** Number of tokens. */
    readonly length: number,
    readonly kinds: Uint8Array,
    readonly starts: Uint32Array,
    readonly ends: Uint32Array,
    readonly aux: Uint32Array,
    /** Numeric value of JSON_INT / JSON_DOUBLE tokens (rapidjson's GetDouble()). */
    readonly nums: Float64Array,
    /** Exact values of integers beyond ±2^53, keyed by token index. */
    private readonly bigIntegers: ReadonlyMap<number, bigint>,
    private storage?: TapeStorage,
  ) {}

  /**
   * Hands the token arrays back for the next parse to reuse. Optional (an unreleased tape is simply
   * garbage-collected); after it, nothing may read this tape or anything still pointing into its arrays.
   */
  release(): void {
    const storage = this.storage;
    this.storage = undefined;
    this.released = true;
    if (storage !== undefined && storage.capacity <= MAX_SPARE_TOKENS && (spareStorage === undefined || spareStorage.capacity < storage.capacity)) {
      spareStorage = storage;
    }
  }

  kind(i: number): JsonKind {
    return this.kinds[i] as JsonKind;
  }

  /** Index of the token after value i (skipping a container's contents). */
  next(i: number): number {
    const k = this.kinds[i]!;
    return k === JSON_ARRAY || k === JSON_OBJECT ? this.ends[i]! : i + 1;
  }

  /** Element count of an array, member count of an object. */
  size(i: number): number {
    return this.aux[i]!;
  }

  /** Value token of the first member of object `obj` whose key equals `key` (UTF-8 bytes), or -1. */
  findMember(obj: number, key: Uint8Array): number {
    const end = this.ends[obj]!;
    for (let k = obj + 1; k < end; k = this.next(k + 1)) {
      if (this.keyEquals(k, key)) return k + 1;
    }
    return -1;
  }

  /** Does string token i decode to exactly these bytes? */
  keyEquals(i: number, key: Uint8Array): boolean {
    if ((this.aux[i]! & STRING_HAS_ESCAPES) !== 0) return bytesEqual(this.stringBytes(i), key);
    const start = this.starts[i]! + 1;
    if (this.ends[i]! - start !== key.length) return false;
    const b = this.bytes;
    for (let j = 0; j < key.length; j++) if (b[start + j] !== key[j]) return false;
    return true;
  }

  /** The decoded bytes of string token i, in a new array. */
  stringBytes(i: number): Uint8Array {
    const start = this.starts[i]! + 1;
    const end = this.ends[i]!;
    if ((this.aux[i]! & STRING_HAS_ESCAPES) === 0) return this.bytes.slice(start, end);
    return unescapeString(this.bytes, start, end);
  }

  /** The decoded text of string token i. */
  stringText(i: number): string {
    const start = this.starts[i]! + 1;
    const end = this.ends[i]!;
    if ((this.aux[i]! & STRING_HAS_ESCAPES) !== 0) return utf8Decoder.decode(unescapeString(this.bytes, start, end));
    this.buffer ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.buffer.toString('utf8', start, end);
  }

  /** Exact value of JSON_INT token i. */
  integerValue(i: number): bigint {
    return (this.aux[i]! & BIG_INTEGER) !== 0 ? this.bigIntegers.get(i)! : BigInt(this.nums[i]!);
  }

  /** Is JSON_INT token i beyond ±2^53 (so `nums[i]` is rounded and `integerValue` must be used)? */
  isBigInteger(i: number): boolean {
    return (this.aux[i]! & BIG_INTEGER) !== 0;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses a request body. Throws JsonParseError (INVALID_ARGUMENT) with rapidjson's text and offset. */
export function parseJsonTape(bytes: Uint8Array, options: JsonTapeOptions = {}): JsonTape {
  if (bytes.length === 0) throw emptyBodyError();
  return new TapeParser(bytes, options.maxDepth ?? DEFAULT_MAX_DEPTH).parse(options.trailing === 'reject');
}

const NO_BIG_INTEGERS: ReadonlyMap<number, bigint> = new Map();

const STATE_VALUE = 0;
const STATE_AFTER_VALUE = 1;
const STATE_MEMBER_NAME = 2;

/** Bytes of tape storage per token: nums (8), starts, ends, aux (4 each), kinds (1). */
const BYTES_PER_TOKEN = 21;

/**
 * The five token arrays of a tape carved out of one ArrayBuffer: a request then pays for one buffer
 * allocation instead of five (small bodies make allocation, not scanning, the larger cost).
 */
class TapeStorage {
  readonly nums: Float64Array;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly aux: Uint32Array;
  readonly kinds: Uint8Array;

  constructor(readonly capacity: number) {
    const buffer = new ArrayBuffer(capacity * BYTES_PER_TOKEN);
    this.nums = new Float64Array(buffer, 0, capacity);
    this.starts = new Uint32Array(buffer, capacity * 8, capacity);
    this.ends = new Uint32Array(buffer, capacity * 12, capacity);
    this.aux = new Uint32Array(buffer, capacity * 16, capacity);
    this.kinds = new Uint8Array(buffer, capacity * 20, capacity);
  }

  grown(count: number): TapeStorage {
    const next = new TapeStorage(this.capacity * 2);
    next.nums.set(this.nums.subarray(0, count));
    next.starts.set(this.starts.subarray(0, count));
    next.ends.set(this.ends.subarray(0, count));
    next.aux.set(this.aux.subarray(0, count));
    next.kinds.set(this.kinds.subarray(0, count));
    return next;
  }
}

/** Storage of a released tape, taken by the next parse that fits in it. */
let spareStorage: TapeStorage | undefined;
/** Larger tapes are not kept: 65536 tokens hold about 1.3 MiB. */
const MAX_SPARE_TOKENS = 65536;

/** The container stack of the parser: parsing is synchronous and never re-entered, so one serves all. */
let sharedStack = new Int32Array(64);
/** Number scans write here; as with the stack, one parse runs at a time. */
const sharedScan: ScannedNumber = { end: 0, isInteger: false, flags: 0, value: 0, big: 0n };

class TapeParser {
  private count = 0;
  private storage: TapeStorage;
  private kinds: Uint8Array;
  private starts: Uint32Array;
  private ends: Uint32Array;
  private aux: Uint32Array;
  private nums: Float64Array;
  private bigIntegers: Map<number, bigint> | undefined;
  private readonly scanned = sharedScan;

  constructor(
    private readonly b: Uint8Array,
    private readonly maxDepth: number,
  ) {
    // Numeric bodies spend ~10 bytes per token; grow on demand beyond that guess.
    const capacity = Math.min(b.length + 1, 64 + (b.length >>> 3));
    if (spareStorage !== undefined && spareStorage.capacity >= capacity) {
      this.storage = spareStorage;
      spareStorage = undefined;
    } else {
      this.storage = new TapeStorage(capacity);
    }
    this.kinds = this.storage.kinds;
    this.starts = this.storage.starts;
    this.ends = this.storage.ends;
    this.aux = this.storage.aux;
    this.nums = this.storage.nums;
  }

  parse(rejectTrailing: boolean): JsonTape {
    const b = this.b;
    const n = b.length;
    let pos = 0;
    // rapidjson's UTF-8 memory stream skips each byte of a BOM on its own.
    if (b[pos] === 0xef) pos++;
    if (pos < n && b[pos] === 0xbb) pos++;
    if (pos < n && b[pos] === 0xbf) pos++;
    pos = skipWhitespace(b, pos);
    if (pos >= n || b[pos] === 0) throw new JsonParseError(JsonParseReason.documentEmpty, pos);

    if (sharedStack.length < this.maxDepth) sharedStack = new Int32Array(this.maxDepth);
    const stack = sharedStack;
    let depth = 0;
    let state = STATE_VALUE;
    for (;;) {
      if (state === STATE_VALUE) {
        const t = this.newToken(pos);
        const c = pos < n ? b[pos]! : 0;
        if (c === 0x5b || c === 0x7b) {
          // '[' or '{'
          if (depth >= this.maxDepth) throw new JsonParseError(nestingTooDeepReason(this.maxDepth), pos);
          const isObject = c === 0x7b;
          this.kinds[t] = isObject ? JSON_OBJECT : JSON_ARRAY;
          stack[depth++] = t;
          pos = skipWhitespace(b, pos + 1);
          if (pos < n && b[pos] === (isObject ? 0x7d : 0x5d)) {
            pos++;
            this.ends[t] = this.count;
            depth--;
            state = STATE_AFTER_VALUE;
          } else {
            state = isObject ? STATE_MEMBER_NAME : STATE_VALUE;
          }
          continue;
        }
        if (c === 0x22) {
          this.kinds[t] = JSON_STRING;
          pos = this.string(t, pos);
        } else if (c === 0x6e) {
          this.kinds[t] = JSON_NULL;
          pos = this.ends[t] = literal(b, pos, 'null');
        } else if (c === 0x74) {
          this.kinds[t] = JSON_TRUE;
          pos = this.ends[t] = literal(b, pos, 'true');
        } else if (c === 0x66) {
          this.kinds[t] = JSON_FALSE;
          pos = this.ends[t] = literal(b, pos, 'false');
        } else {
          const s = this.scanned;
          scanNumber(b, pos, s);
          pos = s.end;
          this.ends[t] = pos;
          this.nums[t] = s.value;
          if (s.isInteger) {
            this.kinds[t] = JSON_INT;
            this.aux[t] = s.flags;
            if ((s.flags & BIG_INTEGER) !== 0) (this.bigIntegers ??= new Map()).set(t, s.big);
          } else {
            this.kinds[t] = JSON_DOUBLE;
          }
          state = STATE_AFTER_VALUE;
          continue;
        }
        state = STATE_AFTER_VALUE;
      } else if (state === STATE_AFTER_VALUE) {
        if (depth === 0) break;
        const top = stack[depth - 1]!;
        pos = skipWhitespace(b, pos);
        const c = pos < n ? b[pos]! : 0;
        this.aux[top]!++;
        if (this.kinds[top] === JSON_ARRAY) {
          if (c === 0x2c) {
            pos = skipWhitespace(b, pos + 1);
            state = STATE_VALUE;
          } else if (c === 0x5d) {
            pos++;
            this.ends[top] = this.count;
            depth--;
          } else {
            throw new JsonParseError(JsonParseReason.arrayMissCommaOrSquareBracket, pos);
          }
        } else if (c === 0x2c) {
          pos = skipWhitespace(b, pos + 1);
          state = STATE_MEMBER_NAME;
        } else if (c === 0x7d) {
          pos++;
          this.ends[top] = this.count;
          depth--;
        } else {
          throw new JsonParseError(JsonParseReason.objectMissCommaOrCurlyBracket, pos);
        }
      } else {
        if (pos >= n || b[pos] !== 0x22) throw new JsonParseError(JsonParseReason.objectMissName, pos);
        const t = this.newToken(pos);
        this.kinds[t] = JSON_STRING;
        pos = skipWhitespace(b, this.string(t, pos));
        if (pos >= n || b[pos] !== 0x3a) throw new JsonParseError(JsonParseReason.objectMissColon, pos);
        pos = skipWhitespace(b, pos + 1);
        state = STATE_VALUE;
      }
    }

    if (rejectTrailing) {
      pos = skipWhitespace(b, pos);
      if (pos < n && b[pos] !== 0) throw new JsonParseError(JsonParseReason.rootNotSingular, pos);
    }
    return new JsonTape(b, this.count, this.kinds, this.starts, this.ends, this.aux, this.nums, this.bigIntegers ?? NO_BIG_INTEGERS, this.storage);
  }

  private newToken(pos: number): number {
    if (this.count === this.kinds.length) this.grow();
    const t = this.count++;
    this.starts[t] = pos;
    this.aux[t] = 0;
    return t;
  }

  private grow(): void {
    const storage = this.storage.grown(this.count);
    this.storage = storage;
    this.kinds = storage.kinds;
    this.starts = storage.starts;
    this.ends = storage.ends;
    this.aux = storage.aux;
    this.nums = storage.nums;
  }

  /** Scans the string whose opening quote is at `quote`; returns the position after the closing quote. */
  private string(t: number, quote: number): number {
    const b = this.b;
    const n = b.length;
    let flags = 0;
    let p = quote + 1;
    for (;;) {
      const c = p < n ? b[p]! : 0;
      if (c === 0x22) break;
      if (c === 0x5c) {
        flags |= STRING_HAS_ESCAPES;
        p = checkEscape(b, p);
      } else if (c < 0x20) {
        throw new JsonParseError(
          c === 0 ? JsonParseReason.stringMissQuotationMark : JsonParseReason.stringEscapeInvalid,
          p,
        );
      } else if (c < 0x80) {
        p++;
      } else {
        p = checkUtf8(b, p);
      }
    }
    this.aux[t] = flags;
    this.ends[t] = p;
    return p + 1;
  }
}

/** JSON whitespace as rapidjson skips it: space, \n, \r, \t. */
function skipWhitespace(b: Uint8Array, pos: number): number {
  const n = b.length;
  while (pos < n) {
    const c = b[pos]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    pos++;
  }
  return pos;
}

/** `null` / `true` / `false`: rapidjson reports the first character that does not match. */
function literal(b: Uint8Array, pos: number, word: string): number {
  for (let k = 1; k < word.length; k++) {
    if (pos + k >= b.length || b[pos + k] !== word.charCodeAt(k)) {
      throw new JsonParseError(JsonParseReason.valueInvalid, pos + k);
    }
  }
  return pos + word.length;
}

/** Validates the UTF-8 sequence at p (lead byte ≥ 0x80); returns the position after it. */
function checkUtf8(b: Uint8Array, p: number): number {
  const length = utf8SequenceLength(b, p);
  if (length === 0) throw new JsonParseError(JsonParseReason.stringInvalidEncoding, p);
  return p + length;
}
