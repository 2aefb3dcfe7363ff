import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { PROTOS_DIR } from '../repository/proto-loader.js';
import { decodeExample, encodeExample } from './example-proto.js';
import type { Example } from './example.js';

// The reference: protobufjs reading the repository's example.proto, so the codec is checked against the contract.
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTOS_DIR, target);
root.loadSync('tensorflow/core/example/example.proto', { keepCase: true });
const ExampleProto = root.lookupType('tensorflow.Example');

type ProtoObject = Record<string, unknown>;
const text = (s: string) => new TextEncoder().encode(s);
const encodeRef = (object: ProtoObject): Uint8Array => ExampleProto.encode(ExampleProto.fromObject(object)).finish();
const decodeRef = (bytes: Uint8Array): ProtoObject =>
  ExampleProto.toObject(ExampleProto.decode(bytes), { longs: String, bytes: String, defaults: false }) as ProtoObject;

/** An Example as plain values, for exact comparison. */
function plain(example: Example): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of example) {
    out[name] = f.kind === 'bytes' ? { bytes: f.values.map((v) => new TextDecoder().decode(v)) } : f.kind === 'none' ? 'none' : { [f.kind]: Array.from(f.values as ArrayLike<unknown>) };
  }
  return out;
}

describe('tf.Example codec', () => {
  const example: Example = new Map([
    ['id', { kind: 'bytes', values: [text('r1'), text('')] }],
    ['x', { kind: 'float', values: new Float32Array([1.5, -2, Infinity]) }],
    ['n', { kind: 'int64', values: new BigInt64Array([0n, -1n, 9223372036854775807n, -9223372036854775808n]) }],
    ['empty', { kind: 'float', values: new Float32Array(0) }],
    ['unset', { kind: 'none', values: [] }],
  ]);

  it('writes what protobufjs reads from example.proto', () => {
    expect(decodeRef(encodeExample(example))).toEqual({
      features: {
        feature: {
          id: { bytes_list: { value: ['cjE=', ''] } },
          x: { float_list: { value: [1.5, -2, Infinity] } },
          n: { int64_list: { value: ['0', '-1', '9223372036854775807', '-9223372036854775808'] } },
          empty: { float_list: {} },
          unset: {},
        },
      },
    });
  });

  it('reads what it writes, keeping empty lists apart from features with no kind', () => {
    expect(plain(decodeExample(encodeExample(example)))).toEqual({
      id: { bytes: ['r1', ''] },
      x: { float: [1.5, -2, Infinity] },
      n: { int64: [0n, -1n, 9223372036854775807n, -9223372036854775808n] },
      empty: { float: [] },
      unset: 'none',
    });
  });

  it('reads unpacked float and int64 lists, as older writers produce them', () => {
    // protobufjs writes packed fields packed; build an unpacked Feature by hand: tag 0x0d = field 1, fixed32.
    const floatList = new Uint8Array([0x0d, 0x00, 0x00, 0xc0, 0x3f, 0x0d, 0x00, 0x00, 0x80, 0xbf]); // 1.5, -1
    const int64List = new Uint8Array([0x08, 0x05, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]); // 5, -1
    const feature = (field: number, list: Uint8Array) => new Uint8Array([(field << 3) | 2, list.length, ...list]);
    const entry = (name: string, value: Uint8Array) => {
      const key = text(name);
      return new Uint8Array([0x0a, key.length, ...key, 0x12, value.length, ...value]);
    };
    const entries = [entry('f', feature(2, floatList)), entry('i', feature(3, int64List))];
    const features = entries.flatMap((e) => [0x0a, e.length, ...e]);
    const bytes = new Uint8Array([0x0a, features.length, ...features]);
    expect(plain(decodeExample(bytes))).toEqual({ f: { float: [1.5, -1] }, i: { int64: [5n, -1n] } });
  });

  it('reads what protobufjs writes, the last of a repeated feature name winning', () => {
    const bytes = encodeRef({ features: { feature: { a: { int64_list: { value: [7] } }, b: { bytes_list: { value: [text('x')] } } } } });
    expect(plain(decodeExample(bytes))).toEqual({ a: { int64: [7n] }, b: { bytes: ['x'] } });
    const twice = new Uint8Array([...encodeRef({ features: { feature: { a: { float_list: { value: [1] } } } } }), ...bytes]);
    // Two Example messages concatenated merge, and map entries with the same key replace each other.
    expect(plain(decodeExample(twice))).toEqual({ a: { int64: [7n] }, b: { bytes: ['x'] } });
  });

  it('throws on malformed bytes', () => {
    expect(() => decodeExample(new Uint8Array([0x0a, 0x05, 0x0a]))).toThrow('truncated length-delimited field');
    expect(() => decodeExample(new Uint8Array([0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe]))).toThrow('a feature name is not valid UTF-8');
  });
});
