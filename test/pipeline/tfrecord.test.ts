// TFRecord input: checksums, corrupt and truncated files, gzip, the three payloads, and whole batch jobs.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../src/readers/crc32c.js';
import { formatFromExtension } from '../../src/readers/input-format.js';
import { payloadRecord } from '../../src/readers/tfrecord-payload.js';
import { detectTfRecordCompression, encodeTfRecord, readTfRecords, type TfRecordEntry, type TfRecordReadOptions } from '../../src/readers/tfrecord-records.js';
import { splitTfRecordFile } from '../../src/readers/tfrecord-splits.js';
import { encodeExample } from '../../src/tensor/example-proto.js';
import type { Example, Feature } from '../../src/tensor/example.js';
import { concatBytes } from '../../src/tensor/protobuf-wire.js';
import { encodeTensorProto } from '../../src/tensor/tensor-proto.js';
import { halfPlusTwoModel } from '../support/onnx-graphs.js';
import { readOutputs, runJob, tempDir, weightedSumModel, writeModel, writeText } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.dispose());

const bytes = (s: string) => new TextEncoder().encode(s);
const floats = (...v: number[]): Feature => ({ kind: 'float', values: new Float32Array(v) });
const text = (...v: string[]): Feature => ({ kind: 'bytes', values: v.map(bytes) });
const example = (features: Record<string, Feature>): Uint8Array => encodeExample(new Map(Object.entries(features)) as Example);
const frames = (records: readonly Uint8Array[]): Uint8Array => concatBytes(records.map(encodeTfRecord));

async function entries(file: string, options?: TfRecordReadOptions): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const e of readTfRecords(file, options)) out.push(describeEntry(e));
  return out;
}

function describeEntry(e: TfRecordEntry): Record<string, unknown> {
  return e.kind === 'record' ? { index: e.index, offset: e.offset, data: new TextDecoder().decode(e.data) } : { index: e.index, offset: e.offset, error: e.message, fatal: e.fatal };
}

/** A bit-at-a-time CRC-32C, the definition the table-driven one must match. */
function slowCrc32c(data: Uint8Array): number {
  let crc = ~0;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('CRC-32C', () => {
  it('matches the RFC 3720 vectors and TensorFlow\'s test values', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
    expect(crc32c(bytes('The quick brown fox jumps over the lazy dog'))).toBe(0x22620404);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks as TFRecord writers do', () => {
    expect(maskedCrc32c(bytes('1234567890asdfghjkl'))).toBe(4134599430);
  });

  it('agrees with the bitwise definition at every length and alignment', () => {
    const data = Uint8Array.from({ length: 80 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 3) expect(crc32c(data, start, end)).toBe(slowCrc32c(data.subarray(start, end)));
    }
  });
});

describe('TFRecord frames', () => {
  it('writes frames TensorFlow reads: length, masked CRC of the length, data, masked CRC of the data', () => {
    const frame = encodeTfRecord(bytes('abc'));
    expect(Array.from(frame.subarray(0, 8))).toEqual([3, 0, 0, 0, 0, 0, 0, 0]);
    const view = new DataView(frame.buffer);
    expect(view.getUint32(8, true)).toBe(maskedCrc32c(frame, 0, 8));
    expect(new TextDecoder().decode(frame.subarray(12, 15))).toBe('abc');
    expect(view.getUint32(15, true)).toBe(maskedCrc32c(bytes('abc')));
    expect(frame.length).toBe(19);
  });

  it('reads records with their numbers and offsets; a bad data checksum skips that record only', async () => {
    const file = join(dir.path, 'x.tfrecord');
    const data = frames(['one', 'two', '', 'four'].map(bytes));
    data[19 + 12]! ^= 0x01; // a bit of record 2's data: 'two' → 'uwo'
    await writeFile(file, data);
    expect(await entries(file)).toEqual([
      { index: 1, offset: 0, data: 'one' },
      {
        index: 2,
        offset: 19,
        error: `corrupt record: the checksum of its 3 data bytes does not match (stored 0x${maskedCrc32c(bytes('two')).toString(16).padStart(8, '0')}, computed 0x${maskedCrc32c(bytes('uwo')).toString(16).padStart(8, '0')})`,
        fatal: false,
      },
      { index: 3, offset: 38, data: '' },
      { index: 4, offset: 54, data: 'four' },
    ]);
  });

  it('stops the file cleanly at a bad length checksum, which hides where the next record starts', async () => {
    const file = join(dir.path, 'x.tfrecord');
    const data = frames(['one', 'two', 'three'].map(bytes));
    data[19] = 200; // record 2 claims 200 bytes, and its length checksum no longer matches
    await writeFile(file, data);
    const stored = new DataView(data.buffer).getUint32(19 + 8, true);
    const computed = maskedCrc32c(data, 19, 27);
    expect(await entries(file)).toEqual([
      { index: 1, offset: 0, data: 'one' },
      {
        index: 2,
        offset: 19,
        error: `corrupt record: the checksum of its length does not match (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}), so the records after it cannot be found; the rest of ${file} cannot be read`,
        fatal: true,
      },
    ]);
  });

  it('reports a file cut inside a header or inside a record', async () => {
    const whole = frames(['one', 'two'].map(bytes));
    const inHeader = join(dir.path, 'h.tfrecord');
    await writeFile(inHeader, whole.subarray(0, 19 + 5));
    expect((await entries(inHeader)).slice(1)).toEqual([
      { index: 2, offset: 19, error: `truncated record: the file ends 5 bytes into the 12-byte frame header (at byte 19); the rest of ${inHeader} cannot be read`, fatal: true },
    ]);
    const inData = join(dir.path, 'd.tfrecord');
    await writeFile(inData, whole.subarray(0, whole.length - 1));
    expect((await entries(inData)).slice(1)).toEqual([
      { index: 2, offset: 19, error: `truncated record: the file ends inside a record of 3 bytes; the rest of ${inData} cannot be read`, fatal: true },
    ]);
  });

  it('skips a record longer than the limit without holding it', async () => {
    const file = join(dir.path, 'x.tfrecord');
    await writeFile(file, frames([bytes('short'), bytes('a much longer record'), bytes('ok')]));
    expect(await entries(file, { maxRecordBytes: 10 })).toEqual([
      { index: 1, offset: 0, data: 'short' },
      { index: 2, offset: 21, error: 'record of 20 bytes is longer than the limit of 10 bytes; skipped', fatal: false },
      { index: 3, offset: 57, data: 'ok' },
    ]);
  });

  it('reads gzip files, told by name or by their bytes, and reports a gzip stream that breaks off', async () => {
    const data = frames(['one', 'two'].map(bytes));
    const named = join(dir.path, 'x.tfrecord.gz');
    const unnamed = join(dir.path, 'y.tfrecord');
    await writeFile(named, gzipSync(data));
    await writeFile(unnamed, gzipSync(data));
    expect(await detectTfRecordCompression(named)).toBe('gzip');
    expect(await detectTfRecordCompression(unnamed)).toBe('gzip');
    for (const file of [named, unnamed]) expect(await entries(file)).toEqual([{ index: 1, offset: 0, data: 'one' }, { index: 2, offset: 19, data: 'two' }]);
    // A plain file whose first record is 0x8b1f bytes long starts with the gzip magic too; its length checksum tells.
    const lookalike = join(dir.path, 'z.tfrecord');
    await writeFile(lookalike, encodeTfRecord(new Uint8Array(0x8b1f)));
    expect(await detectTfRecordCompression(lookalike)).toBe('none');
    const cut = join(dir.path, 'cut.tfrecord.gz');
    const zipped = gzipSync(frames(Array.from({ length: 50 }, (_, i) => bytes(`record ${i}`))));
    await writeFile(cut, zipped.subarray(0, zipped.length - 30));
    const read = await entries(cut);
    expect(read.at(-1)).toEqual({
      index: read.length,
      offset: expect.any(Number),
      error: `the gzip data is not valid (unexpected end of file); the rest of ${cut} cannot be read`,
      fatal: true,
    });
  });

  it('splits plain files into runs of whole frames, and keeps a gzip file whole', async () => {
    const file = join(dir.path, 'x.tfrecord');
    await writeFile(file, frames(['a', 'bb', 'ccc', 'dddd', 'eeeee'].map(bytes)));
    expect(await splitTfRecordFile(file, 'none', 2)).toEqual([
      { range: { start: 0, end: 35, firstRecord: 1 }, records: 2 },
      { range: { start: 35, end: 74, firstRecord: 3 }, records: 2 },
      { range: { start: 74, end: Infinity, firstRecord: 5 }, records: 1 },
    ]);
    const second = await entries(file, { range: { start: 35, end: 74, firstRecord: 3 } });
    expect(second).toEqual([{ index: 3, offset: 35, data: 'ccc' }, { index: 4, offset: 54, data: 'dddd' }]);
    const zipped = join(dir.path, 'x.tfrecord.gz');
    await writeFile(zipped, gzipSync(await readFile(file)));
    expect(await splitTfRecordFile(zipped, 'gzip', 2)).toEqual([{ range: { start: 0, end: Infinity, firstRecord: 1 }, records: 5 }]);
  });

  it('is told by the extensions .tfrecord and .tfrecords, gzip or not', () => {
    expect(['a.tfrecord', 'b.TFRecords', 'c.tfrecord.gz', 'd.tfrecords.gzip', 'e.tfrec'].map((f) => formatFromExtension(f))).toEqual([
      'tfrecord',
      'tfrecord',
      'tfrecord',
      'tfrecord',
      undefined,
    ]);
  });
});

describe('TFRecord payloads', () => {
  it('reads a tf.Example as fields: one value a scalar, several a list, bytes as text or raw bytes', () => {
    const record = example({
      id: text('r1'),
      x: floats(1.5),
      v: floats(1, 2),
      n: { kind: 'int64', values: new BigInt64Array([3n, 9007199254740993n]) },
      raw: { kind: 'bytes', values: [new Uint8Array([0xff, 0x00])] },
      empty: floats(),
      unset: { kind: 'none', values: [] },
    });
    expect(payloadRecord(record, 'example', 7)).toEqual({
      kind: 'fields',
      position: 7,
      names: ['id', 'x', 'v', 'n', 'raw', 'empty', 'unset'],
      values: ['r1', 1.5, [1, 2], [3, 9007199254740993n], new Uint8Array([0xff, 0x00]), [], undefined],
    });
    expect(payloadRecord(bytes('\x0a\x05'), 'example', 2)).toEqual({ kind: 'unreadable', position: 2, message: 'not a serialized tf.Example: truncated length-delimited field' });
  });

  it('reads a TensorProto as one instance value, and the raw bytes as they are', () => {
    const tensor = encodeTensorProto({ dtype: 'DT_INT64', shape: [2, 2], data: new BigInt64Array([1n, 2n, 3n, -4n]) });
    expect(payloadRecord(tensor, 'tensor', 1)).toEqual({ kind: 'value', position: 1, value: [[1, 2], [3, -4]] });
    const scalar = encodeTensorProto({ dtype: 'DT_BOOL', shape: [], data: new Uint8Array([1]) });
    expect(payloadRecord(scalar, 'tensor', 1)).toEqual({ kind: 'value', position: 1, value: true });
    expect(payloadRecord(bytes('\x08\x63'), 'tensor', 3)).toEqual({
      kind: 'unreadable',
      position: 3,
      message: 'not a serialized TensorProto: unknown dtype 99 is not supported; supported dtypes: DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16, DT_STRING, DT_INT64, DT_BOOL, DT_HALF, DT_UINT32, DT_UINT64',
    });
    expect(payloadRecord(bytes('ab'), 'bytes', 4)).toEqual({ kind: 'value', position: 4, value: bytes('ab') });
  });
});

describe('TFRecord batch jobs', () => {
  it('predicts tf.Examples, with a corrupt record and a truncated end in the errors file under their record numbers', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = join(dir.path, 'in', 'rows.tfrecord');
    const records = [
      example({ id: text('r1'), a: floats(1), b: floats(0.5) }),
      example({ id: text('r2'), a: floats(2), b: floats(1) }),
      example({ id: text('r3'), a: text('x'), b: floats(1) }),
      example({ id: text('r4'), a: floats(2.5), b: floats(-1) }),
      example({ id: text('r5'), a: floats(0), b: floats(0) }),
    ];
    const data = frames(records);
    const second = encodeTfRecord(records[0]!).length;
    data[second + 12 + 3]! ^= 0x40; // corrupt record 2's data
    await writeText(input, data.subarray(0, data.length - 2)); // and cut the last record short
    const output = join(dir.path, 'out');
    const summary = await runJob({ model, input, output, shaping: { keyField: 'id' }, recordsPerUnit: 2, numOutputShards: 1 });
    expect(summary).toMatchObject({ rows: 5, succeeded: 2, failed: 3 });
    const files = await readOutputs(output);
    expect(files['prediction.results-00000-of-00001']).toBe(
      '{"key":"r1","instance":{"a":1,"b":0.5},"prediction":2.5}\n{"key":"r4","instance":{"a":2.5,"b":-1},"prediction":4.0}\n',
    );
    const where = (record: number): string => `"input":${JSON.stringify(input)},"record":${record}}`;
    const errors = files['prediction.errors-00000-of-00001']!.split('\n');
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^\\{"error":\\{"code":"INVALID_ARGUMENT","message":"corrupt record: the checksum of its \\d+ data bytes does not match \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)"\\},${escape(where(2))}$`)),
      `{"key":"r3","instance":{"a":"x","b":1},"error":{"code":"INVALID_ARGUMENT","message":"field \\"a\\": expected a number (DT_FLOAT), got the string \\"x\\""},${where(3)}`,
      `{"error":{"code":"INVALID_ARGUMENT","message":"truncated record: the file ends inside a record of ${records[4]!.length} bytes; the rest of ${input} cannot be read"},${where(5)}`,
      '',
    ]);
  });

  it('gives the same rows whatever the split, for plain and gzip files', async () => {
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const records = Array.from({ length: 7 }, (_, i) => example({ a: floats(i), b: floats(1) }));
    await writeFile(join(dir.path, 'plain.tfrecord'), frames(records));
    await writeFile(join(dir.path, 'zipped.tfrecords.gz'), gzipSync(frames(records)));
    const results = async (input: string, recordsPerUnit: number): Promise<string> => {
      const output = join(dir.path, `out-${recordsPerUnit}-${input.length}`);
      const summary = await runJob({ model, input: join(dir.path, input), output, recordsPerUnit });
      const files = await readOutputs(output);
      expect(summary.failed).toBe(0);
      return Object.keys(files).sort().filter((f) => f.startsWith('prediction.results')).map((f) => files[f]).join('');
    };
    const expected = records.map((_, i) => `{"instance":{"a":${i},"b":1},"prediction":${(2 * i + 1).toFixed(1)}}\n`).join('');
    expect(await results('plain.tfrecord', 100)).toBe(expected);
    expect(await results('plain.tfrecord', 3)).toBe(expected);
    expect(await results('zipped.tfrecords.gz', 3)).toBe(expected);
  });

  it('feeds raw TensorProto records to a single input, and exports raw records as b64', async () => {
    const model = await writeModel(dir.path, 'hpt', halfPlusTwoModel());
    const tensors = [new Float32Array([1]), new Float32Array([3.5]), new Float32Array([1, 2])].map((data) => encodeTensorProto({ dtype: 'DT_FLOAT', shape: [data.length], data }));
    const input = join(dir.path, 'tensors.tfrecord');
    await writeFile(input, frames(tensors));
    const output = join(dir.path, 'out');
    expect(await runJob({ model, input, output, tfrecord: { payload: 'tensor' } })).toMatchObject({ rows: 3, succeeded: 2, failed: 1 });
    const files = await readOutputs(output);
    expect(files['prediction.results-00000-of-00001']).toBe('{"instance":[1],"prediction":[2.5]}\n{"instance":[3.5],"prediction":[3.75]}\n');
    expect(files['prediction.errors-00000-of-00001']).toBe(
      `{"instance":[1,2],"error":{"code":"INVALID_ARGUMENT","message":"input \\"x\\": expected a list of shape [1] per instance (input shape [-1, 1]), got a list of shape [2]"},"input":${JSON.stringify(input)},"record":3}\n`,
    );
    const exported = join(dir.path, 'exported');
    await runJob({ input, output: exported, tfrecord: { payload: 'bytes' } });
    const lines = (await readOutputs(exported))['export.instances-00000-of-00001']!;
    expect(lines).toBe(tensors.map((t) => `{"b64":"${Buffer.from(t).toString('base64')}"}\n`).join(''));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
