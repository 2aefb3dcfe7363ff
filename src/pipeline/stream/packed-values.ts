/**
 * Strings packed for a Redis script as two arguments: their UTF-8 bytes back to back, and the format with which
 * the script's `struct.unpack(format, bytes)` splits them again in one call (`c<n>`: a string of n bytes).
 * Redis then decodes nothing and unescapes nothing, which costs it less than `cjson.decode` of the same values,
 * and the client writes all the bytes with one call instead of one per value (or one script argument per value,
 * which costs ioredis far more). An empty value is one NUL byte read as a zero-terminated string (`s`), since
 * `c0` means something else to struct.
 *
 * One call returns every value on Lua's stack, which holds about 8000: keep a call's values well below that.
 */
export interface PackedValues {
  readonly format: string;
  readonly bytes: Buffer;
}

const NUL = '\0';
/** `c<n>` for the lengths most values have, made once: the format is joined from these, not built a piece at a time. */
const PIECES = Array.from({ length: 256 }, (_, n) => (n === 0 ? 's' : `c${n}`));

function piece(length: number): string {
  return length < PIECES.length ? PIECES[length]! : `c${length}`;
}

export function packValues(values: readonly string[]): PackedValues {
  const joined = values.join('');
  // Every character one byte (the common case: JSON of numbers, ids, times): lengths are the string lengths.
  if (Buffer.byteLength(joined, 'utf8') === joined.length) {
    const pieces = new Array<string>(values.length);
    let hasEmpty = false;
    for (let i = 0; i < values.length; i++) {
      const length = values[i]!.length;
      if (length === 0) hasEmpty = true;
      pieces[i] = piece(length);
    }
    const text = hasEmpty ? values.map((value) => (value.length === 0 ? NUL : value)).join('') : joined;
    return { format: pieces.join(''), bytes: Buffer.from(text, 'latin1') };
  }
  // Otherwise each value is encoded on its own, and its length is what that wrote: joined, a value ending in
  // half a surrogate pair and the next beginning with the other half would encode differently.
  let room = 0;
  // At most 3 bytes per UTF-16 code unit, and the NUL of an empty value.
  for (const value of values) room += 3 * value.length + 1;
  const bytes = Buffer.allocUnsafe(room);
  const pieces = new Array<string>(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value.length === 0) {
      bytes[at++] = 0;
      pieces[i] = piece(0);
      continue;
    }
    const length = bytes.write(value, at, 'utf8');
    pieces[i] = piece(length);
    at += length;
  }
  return { format: pieces.join(''), bytes: bytes.subarray(0, at) };
}
