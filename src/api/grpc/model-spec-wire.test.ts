import { describe, expect, it } from 'vitest';
import { decodeModelSpec, encodeModelSpec } from './model-spec-wire.js';
import { objectCodec } from './proto-service.js';
import { servingType } from './serving-protos.js';
import type { ModelSpecMessage } from './tf-serving-messages.js';

const reference = objectCodec<ModelSpecMessage>(servingType('tensorflow.serving.ModelSpec'));

const MESSAGES: ModelSpecMessage[] = [
  {},
  { name: 'mlp' },
  { name: '' },
  { name: 'mlp', version: { value: '3' }, signature_name: 'serving_default' },
  { name: 'mlp', version: { value: '0' } },
  { name: 'mlp', version: {} },
  { name: 'mlp', version: { value: '9007199254740993' } },
  { name: 'mlp', version: { value: '9223372036854775807' } },
  { name: 'mlp', version: { value: '-1' } },
  { name: 'mlp', version: { value: '-9223372036854775808' } },
  { name: 'mlp', version_label: 'stable', signature_name: '' },
  { name: 'módel ✓', version_label: '', signature_name: 'sig' },
];

describe('ModelSpec wire codec', () => {
  it('encodes exactly the bytes protobufjs writes', () => {
    for (const message of MESSAGES) expect([message, Buffer.from(encodeModelSpec(message)).toString('hex')]).toEqual([message, Buffer.from(reference.encode(message)).toString('hex')]);
  });

  it('decodes to the objects protobufjs gives, oneof name included', () => {
    for (const message of MESSAGES) {
      const bytes = reference.encode(message);
      expect(decodeModelSpec(bytes)).toStrictEqual(reference.decode(bytes));
    }
    expect(decodeModelSpec(reference.encode({ name: 'mlp', version: { value: '7' } }))).toStrictEqual({ name: 'mlp', version: { value: '7' }, version_choice: 'version' });
  });

  it('follows protobufjs on repeated fields, both oneof members, and unknown fields', () => {
    const name = (s: string) => [0x0a, s.length, ...Buffer.from(s)];
    const cases = [
      // name twice: the last one wins
      [...name('a'), ...name('bc')],
      // version, then version_label: both kept, the oneof names the label
      [0x12, 0x02, 0x08, 0x05, 0x22, 0x01, 0x78],
      // an unknown varint field 9 and an unknown length-delimited field 10
      [0x48, 0x96, 0x01, ...name('m'), 0x52, 0x02, 0x01, 0x02],
      // an Int64Value with an unknown field next to its value
      [0x12, 0x04, 0x10, 0x01, 0x08, 0x2a],
    ];
    for (const bytes of cases) expect(decodeModelSpec(Uint8Array.from(bytes))).toStrictEqual(reference.decode(Uint8Array.from(bytes)));
  });

  it('refuses a truncated message', () => {
    expect(() => decodeModelSpec(Uint8Array.from([0x0a, 0x05, 0x61]))).toThrow('truncated length-delimited field');
    expect(() => decodeModelSpec(Uint8Array.from([0x12, 0x02, 0x08, 0x80]))).toThrow('truncated varint');
  });
});
