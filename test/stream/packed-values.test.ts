// packValues: the format's lengths add up to the bytes, value by value, whatever the characters.
import { describe, expect, it } from 'vitest';
import { packValues } from '../../src/pipeline/stream/packed-values.js';

/** Splits packed bytes by their format as Redis's struct.unpack does (`c<n>`: n bytes; `s`: up to a NUL). */
function unpack({ format, bytes }: { format: string; bytes: Buffer }): string[] {
  const values: string[] = [];
  let at = 0;
  for (const [, kind, digits] of format.matchAll(/(c|s)(\d*)/g)) {
    if (kind === 's') {
      const end = bytes.indexOf(0, at);
      values.push(bytes.toString('utf8', at, end));
      at = end + 1;
    } else {
      values.push(bytes.toString('utf8', at, at + Number(digits)));
      at += Number(digits);
    }
  }
  expect(at).toBe(bytes.length);
  return values;
}

describe('packValues', () => {
  it('packs ASCII values as their characters, an empty one as a NUL read by "s"', () => {
    const packed = packValues(['1-0', '{"a":1}', '', '1795000000123']);
    expect(packed.format).toBe('c3c7sc13');
    expect(packed.bytes.toString('latin1')).toBe('1-0{"a":1}\u00001795000000123');
    expect(unpack(packed)).toEqual(['1-0', '{"a":1}', '', '1795000000123']);
  });

  it('measures non-ASCII values in UTF-8 bytes, and keeps NULs inside values', () => {
    const values = ['caf\u00e9', '\u6f22\u5b57', '\ud83d\ude00', '', 'a\u0000b', 'x'.repeat(300)];
    const packed = packValues(values);
    expect(packed.format).toBe(`c5c6c4sc3c300`);
    expect(unpack(packed)).toEqual(values);
  });

  it('encodes each value on its own: halves of a surrogate pair in two values stay two replacement characters', () => {
    const packed = packValues(['a\ud83d', '\ude00b']);
    expect(packed.format).toBe('c4c4');
    expect(unpack(packed)).toEqual(['a\ufffd', '\ufffdb']);
  });
});
