import { describe, expect, it } from 'vitest';
import { utf8BytesOf, utf8Text } from './wire-text.js';

describe('wire text', () => {
  it('decodes as TextDecoder does, ASCII or not, short or long', () => {
    const decoder = new TextDecoder();
    const samples = [
      new Uint8Array(0),
      Buffer.from('serving_default'),
      Buffer.from('módel ✓ 模型'),
      Buffer.from('x'.repeat(200)),
      Uint8Array.from([0x61, 0xff, 0x62]),
      Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]),
      Uint8Array.from([0x00, 0x7f]),
    ];
    for (const bytes of samples) expect(utf8Text(bytes)).toBe(decoder.decode(bytes));
  });

  it('encodes as TextEncoder does, and hands the same bytes to the next caller', () => {
    for (const text of ['', 'mlp', 'módel ✓', '\u{1F600}']) expect(Array.from(utf8BytesOf(text))).toEqual(Array.from(new TextEncoder().encode(text)));
    expect(utf8BytesOf('serving_default')).toBe(utf8BytesOf('serving_default'));
  });
});
