/**
 * Strings packed into one Buffer for a Redis script: each value is its UTF-8 byte length (4 bytes, big-endian)
 * followed by its bytes. In the script, Redis's `struct.unpack('>I4c0I4c0…', blob, pos)` reads the values back
 * as Lua strings without decoding or unescaping anything, which costs Redis less than `cjson.decode` of the same
 * values, and costs the client less than one script argument per value (ioredis's fixed cost per argument).
 */

/** The `struct.unpack` format that reads `count` values packed by `lengthPrefixed`. */
export function unpackFormat(count: number): string {
  return `>${'I4c0'.repeat(count)}`;
}

export function lengthPrefixed(values: readonly string[]): Buffer {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: room enough without measuring each string first.
  let room = 0;
  for (const value of values) room += 4 + 3 * value.length;
  const buffer = Buffer.allocUnsafe(room);
  let at = 0;
  for (const value of values) {
    const length = buffer.write(value, at + 4, 'utf8');
    buffer.writeUInt32BE(length, at);
    at += 4 + length;
  }
  return buffer.subarray(0, at);
}
