// Short strings of protobuf messages (model names, signature names, tensor aliases) to and from UTF-8. Every
// gRPC call carries a few each way; TextEncoder and TextDecoder cost more per call on such short strings
// than the rest of the small fields around them.

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Longest byte string taken by the ASCII path; longer ones are rare and TextDecoder is quick on them. */
const SHORT_BYTES = 64;

/** The text of UTF-8 bytes, as TextDecoder gives it (invalid sequences become U+FFFD). */
export function utf8Text(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n > SHORT_BYTES) return decoder.decode(bytes);
  let text = '';
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return decoder.decode(bytes);
    text += String.fromCharCode(b);
  }
  return text;
}

const encoded = new Map<string, Uint8Array>();
/** Distinct names kept; a server sees a handful, and a client naming many just starts over. */
const MAX_ENCODED = 1024;

/** The UTF-8 bytes of a name, shared between calls: callers must only read them. */
export function utf8BytesOf(text: string): Uint8Array {
  let bytes = encoded.get(text);
  if (bytes === undefined) {
    if (encoded.size >= MAX_ENCODED) encoded.clear();
    bytes = encoder.encode(text);
    encoded.set(text, bytes);
  }
  return bytes;
}
