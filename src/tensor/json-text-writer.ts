// Response JSON built as UTF-8 bytes in one growing buffer, then turned into a string once.
//
// Building the text from per-value JavaScript strings costs more than the formatting itself (V8's
// number-to-string is slow for float values, and a million small concatenations make a deep rope), so the
// common cases write digits straight into the buffer and only rare values go through a string.

import { FLOAT32_DECIMAL, float32DecimalFast, formatFloat32, formatFloat64 } from './float-text.js';
import { int64Text } from './int64-words.js';
import { jsonStringLiteral } from './json-string-text.js';
import { utf8SequenceLength } from './utf8.js';

const HEX = '0123456789ABCDEF';
const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const SMALL_POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Number of decimal digits of 0 ≤ x < 2^31. */
function smallDigitCount(x: number): number {
  if (x < 100000) return x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : 5;
  return x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
}

/** Writes the last `digits` decimal digits of 0 ≤ x < 2^31 at buf[at…] (zero-padded); returns `digits`. */
function writeSmall(buf: Uint8Array, at: number, x: number, digits: number): number {
  for (let p = at + digits - 1; p >= at; p--) {
    const q = (x / 10) | 0;
    buf[p] = 0x30 + x - q * 10;
    x = q;
  }
  return digits;
}

/**
 * One buffer reused by successive writers: responses are written synchronously, start to finish,
 * so at most one writer holds it at a time and a small response allocates nothing.
 */
let spareBuffer: Uint8Array | undefined = new Uint8Array(4096);
const MAX_SPARE_BYTES = 1 << 20;

export class JsonTextWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor() {
    this.buf = spareBuffer ?? new Uint8Array(4096);
    spareBuffer = undefined;
  }

  /** The text written so far; the writer hands its buffer back for reuse and must not write again. */
  toString(): string {
    const text = Buffer.from(this.buf.buffer, 0, this.len).toString('utf8');
    if (this.buf.length <= MAX_SPARE_BYTES) spareBuffer = this.buf;
    return text;
  }

  /** Bytes written so far (where the next value starts). */
  get length(): number {
    return this.len;
  }

  /**
   * The text as pieces ending at the given byte offsets (ascending, the last one `length`), decoded at once when
   * it is all ASCII; the writer hands its buffer back, as toString does.
   */
  toStrings(ends: readonly number[]): string[] {
    const buf = this.buf;
    const len = this.len;
    let ascii = true;
    for (let i = 0; i < len; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    const bytes = Buffer.from(buf.buffer, 0, len);
    const pieces: string[] = new Array<string>(ends.length);
    let start = 0;
    if (ascii) {
      const text = bytes.toString('latin1');
      for (let i = 0; i < ends.length; i++) {
        pieces[i] = text.slice(start, ends[i]);
        start = ends[i]!;
      }
    } else {
      for (let i = 0; i < ends.length; i++) {
        pieces[i] = bytes.toString('utf8', start, ends[i]);
        start = ends[i]!;
      }
    }
    if (buf.length <= MAX_SPARE_BYTES) spareBuffer = buf;
    return pieces;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Text known to be ASCII: punctuation, numbers, base64. */
  ascii(s: string): void {
    this.reserve(s.length);
    const buf = this.buf;
    let len = this.len;
    for (let i = 0; i < s.length; i++) buf[len++] = s.charCodeAt(i);
    this.len = len;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.len++] = c;
  }

  /** A JSON string literal for any JavaScript string (names, labels). */
  string(s: string): void {
    const literal = jsonStringLiteral(s);
    this.reserve(literal.length * 3);
    this.len += encoder.encodeInto(literal, this.buf.subarray(this.len)).written;
  }

  /** A JSON string literal for UTF-8 bytes; false (and nothing written) when they are not valid UTF-8. */
  utf8String(bytes: Uint8Array): boolean {
    this.reserve(bytes.length * 6 + 2);
    const buf = this.buf;
    const start = this.len;
    let len = start;
    buf[len++] = 0x22;
    for (let i = 0; i < bytes.length; ) {
      const c = bytes[i]!;
      if (c >= 0x80) {
        const n = utf8SequenceLength(bytes, i);
        if (n === 0) {
          this.len = start;
          return false;
        }
        for (let k = 0; k < n; k++) buf[len++] = bytes[i + k]!;
        i += n;
        continue;
      }
      i++;
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
        buf[len++] = c;
        continue;
      }
      // rapidjson's escapes: \" \\ \b \t \n \f \r, other control characters as \u00XX
      buf[len++] = 0x5c;
      if (c === 0x22 || c === 0x5c) buf[len++] = c;
      else if (c === 0x08) buf[len++] = 0x62;
      else if (c === 0x09) buf[len++] = 0x74;
      else if (c === 0x0a) buf[len++] = 0x6e;
      else if (c === 0x0c) buf[len++] = 0x66;
      else if (c === 0x0d) buf[len++] = 0x72;
      else {
        buf[len++] = 0x75;
        buf[len++] = 0x30;
        buf[len++] = 0x30;
        buf[len++] = HEX.charCodeAt(c >> 4);
        buf[len++] = HEX.charCodeAt(c & 15);
      }
    }
    buf[len++] = 0x22;
    this.len = len;
    return true;
  }

  /** An integer with |v| < 2^53. */
  integer(v: number): void {
    this.reserve(17);
    const buf = this.buf;
    let len = this.len;
    if (v < 0) {
      buf[len++] = 0x2d;
      v = -v;
    }
    if (v < 2147483648) {
      this.len = len + writeSmall(buf, len, v | 0, smallDigitCount(v));
      return;
    }
    // Two int32 halves: high digits, then the low nine zero-padded (int32 arithmetic is far cheaper).
    const high = Math.floor(v / 1e9);
    len += writeSmall(buf, len, high, smallDigitCount(high));
    this.len = len + writeSmall(buf, len, v - high * 1e9, 9);
  }

  /** Element i of int64 / uint64 data seen as 32-bit words. */
  int64(words: Uint32Array, i: number, signed: boolean): void {
    const low = words[2 * i + (LITTLE_ENDIAN ? 0 : 1)]!;
    const high = words[2 * i + (LITTLE_ENDIAN ? 1 : 0)]!;
    const h = signed ? high | 0 : high;
    if (h >= -0x200000 && h < 0x200000) this.integer(h * TWO_32 + low);
    else this.ascii(int64Text(words, i, signed));
  }

  /** TF Serving's text for a float32 value. */
  float32(v: number): void {
    if (v !== 0 && v - v === 0 && float32DecimalFast(v)) {
      const d = FLOAT32_DECIMAL;
      this.decimal(v < 0, d.digits, d.exponent, d.precision);
    } else {
      this.ascii(formatFloat32(v));
    }
  }

  /** TF Serving's text for a float64 value. */
  float64(v: number): void {
    this.ascii(formatFloat64(v));
  }

  /**
   * `%.<precision>g` of ±n × 10^(exponent - precision + 1) plus TF Serving's `.0` for whole numbers, where n has
   * exactly `precision` (≤ 9) digits.
   */
  private decimal(neg: boolean, n: number, exponent: number, precision: number): void {
    let x = n | 0;
    let digits = precision;
    while (x % 10 === 0) {
      x = (x / 10) | 0;
      digits--;
    }
    this.reserve(digits + 16);
    const buf = this.buf;
    let len = this.len;
    if (neg) buf[len++] = 0x2d;
    if (exponent < -4 || exponent >= precision) {
      // d.ddde±XX
      if (digits > 1) {
        writeSmall(buf, len + 1, x, digits);
        buf[len] = buf[len + 1]!;
        buf[len + 1] = 0x2e;
        len += digits + 1;
      } else {
        len += writeSmall(buf, len, x, 1);
      }
      const ax = exponent < 0 ? -exponent : exponent;
      buf[len++] = 0x65;
      buf[len++] = exponent < 0 ? 0x2d : 0x2b;
      if (ax >= 100) buf[len++] = 0x30 + ((ax / 100) | 0);
      len += writeSmall(buf, len, ax % 100, 2);
    } else if (exponent >= 0) {
      const whole = exponent + 1;
      if (digits > whole) {
        const scale = SMALL_POW10[digits - whole]!;
        const integer = (x / scale) | 0;
        len += writeSmall(buf, len, integer, whole);
        buf[len++] = 0x2e;
        len += writeSmall(buf, len, x - integer * scale, digits - whole);
      } else {
        len += writeSmall(buf, len, x, digits);
        for (let k = digits; k < whole; k++) buf[len++] = 0x30;
        buf[len++] = 0x2e;
        buf[len++] = 0x30;
      }
    } else {
      buf[len++] = 0x30;
      buf[len++] = 0x2e;
      for (let k = -1; k > exponent; k--) buf[len++] = 0x30;
      len += writeSmall(buf, len, x, digits);
    }
    this.len = len;
  }
}
