import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { validateCommand } from '../../src/cli/validate.js';
import { encodeTfRecord } from '../../src/readers/tfrecord-records.js';
import { encodeExample } from '../../src/tensor/example-proto.js';
import type { Example } from '../../src/tensor/example.js';
import { feature, statisticsOf, withTempDir } from './support.js';
import { captureProcessOutput } from '../support/process-output.js';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * Example{features{feature{key: "n" value{int64_list{value: [7, 8]}}}}}, written out byte by byte:
 * Int64List (0a 02 07 08) in Feature.int64_list = 3 (1a 04 …), the map entry key = 1 (0a 01 'n') and value = 2
 * (12 06 …), Features.feature = 1 (0a 0b …), Example.features = 1 (0a 0d …).
 */
const HAND_WRITTEN = Uint8Array.from([0x0a, 0x0d, 0x0a, 0x0b, 0x0a, 0x01, 0x6e, 0x12, 0x06, 0x1a, 0x04, 0x0a, 0x02, 0x07, 0x08]);

const EXAMPLES: Example[] = [
  new Map([
    ['tags', { kind: 'bytes', values: [text('a'), text('b')] }],
    ['x', { kind: 'float', values: Float32Array.of(1.5) }],
    ['n', { kind: 'int64', values: BigInt64Array.of(1n, 2n, 3n) }],
  ]),
  new Map([
    ['tags', { kind: 'bytes', values: [] }],
    ['x', { kind: 'float', values: Float32Array.of(2.5, 3.5) }],
    ['n', { kind: 'int64', values: BigInt64Array.of(4n) }],
  ]),
  // n has no list kind set: missing, as tfx_bsl decodes it.
  new Map<string, Example extends Map<string, infer F> ? F : never>([
    ['tags', { kind: 'bytes', values: [text('a')] }],
    ['n', { kind: 'none', values: [] }],
  ]),
  new Map([
    ['tags', { kind: 'bytes', values: [Uint8Array.of(0xff)] }],
    ['x', { kind: 'float', values: new Float32Array(0) }],
    ['n', { kind: 'int64', values: BigInt64Array.of(5n, 6n) }],
  ]),
];

function tfRecordFile(records: readonly Uint8Array[]): Buffer {
  return Buffer.concat(records.map((r) => encodeTfRecord(r)));
}

// Keeps the commands' progress lines out of the test output.
captureProcessOutput();

describe('statistics of TFRecord files of tf.Example', () => {
  it('gives value-count statistics of list features, computed by hand', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'train.tfrecord');
      await writeFile(file, tfRecordFile(EXAMPLES.map(encodeExample)));
      const stats = await statisticsOf([file]);
      expect(stats.datasets![0]!.num_examples).toBe(4);

      const tags = feature(stats, 'tags');
      expect(tags.type).toBe('STRING');
      const s = tags.string_stats!;
      // Lengths 2, 0, 1, 1.
      expect(s.common_stats).toMatchObject({ num_non_missing: 4, num_missing: 0, min_num_values: 0, max_num_values: 2, avg_num_values: 1, tot_num_values: 4 });
      // Quantiles of the sorted lengths 0, 1, 1, 2: q at position 3q, interpolated between neighbours.
      const round = (v: number | undefined) => Math.round((v ?? NaN) * 1e9) / 1e9;
      expect(s.common_stats!.num_values_histogram!.buckets!.map((b) => [round(b.low_value), round(b.high_value)])).toEqual([
        [0, 0.3],
        [0.3, 0.6],
        [0.6, 0.9],
        [0.9, 1],
        [1, 1],
        [1, 1],
        [1, 1.1],
        [1.1, 1.4],
        [1.4, 1.7],
        [1.7, 2],
      ]);
      // Ties: the larger value first ('b' > '_').
      expect(s.top_values).toEqual([
        { value: 'a', frequency: 2 },
        { value: 'b', frequency: 1 },
        { value: '__BYTES_VALUE__', frequency: 1 },
      ]);
      expect(s.unique).toBe(3);
      // Four values of one byte each, the invalid one counted by its bytes.
      expect(s.avg_length).toBe(1);
      expect(s.invalid_utf8_count).toBe(1);

      const x = feature(stats, 'x');
      expect(x.type).toBe('FLOAT');
      expect(x.num_stats!.common_stats).toMatchObject({ num_non_missing: 3, num_missing: 1, min_num_values: 0, max_num_values: 2, avg_num_values: 1, tot_num_values: 3 });
      expect(x.num_stats).toMatchObject({ mean: 2.5, min: 1.5, median: 2.5, max: 3.5, num_zeros: 0 });
      expect(x.num_stats!.std_dev).toBeCloseTo(Math.sqrt(2 / 3), 12);

      const n = feature(stats, 'n');
      expect(n.type).toBe('INT');
      expect(n.num_stats!.common_stats).toMatchObject({ num_non_missing: 3, num_missing: 1, min_num_values: 1, max_num_values: 3, avg_num_values: 2, tot_num_values: 6 });
      expect(n.num_stats).toMatchObject({ mean: 3.5, min: 1, median: 3.5, max: 6 });
    });
  });

  it('reads a record written byte by byte, and gzip files', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'hand.tfrecord.gz');
      await writeFile(file, gzipSync(tfRecordFile([HAND_WRITTEN, HAND_WRITTEN])));
      const n = feature(await statisticsOf([file]), 'n');
      expect(n.num_stats).toMatchObject({ mean: 7.5, min: 7, max: 8 });
      expect(n.num_stats!.common_stats).toMatchObject({ num_non_missing: 2, min_num_values: 2, max_num_values: 2, tot_num_values: 4 });
    });
  });

  it('names the record that is corrupt or not a tf.Example', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'bad.tfrecord');
      const bytes = tfRecordFile([HAND_WRITTEN, HAND_WRITTEN]);
      bytes[bytes.length - 6] = 0x09;
      await writeFile(file, bytes);
      await expect(statisticsOf([file])).rejects.toThrow(`${file}: record 2: `);
      await writeFile(file, tfRecordFile([HAND_WRITTEN, Uint8Array.from([0x0a, 0x05, 0x01])]));
      await expect(statisticsOf([file])).rejects.toThrow(`${file}: record 2: not a serialized tf.Example: `);
    });
  });

  it('lists the records that break a schema with validate --rows', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('serve.tfrecord'), tfRecordFile(EXAMPLES.map(encodeExample)));
      await writeFile(at('schema.pbtxt'), 'feature { name: "n" type: INT value_count { min: 1 max: 2 } }\nfeature { name: "x" type: FLOAT }\nfeature { name: "tags" type: BYTES }\n');
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      expect(await validateCommand(['--input', at('serve.tfrecord'), '--schema', at('schema.pbtxt'), '--rows', at('bad.jsonl'), '--output', at('a.json')])).toBe(1);
      const lines = (await readFile(at('bad.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => [l['row'], l['feature'], l['type']])).toEqual([[1, 'n', 'FEATURE_TYPE_HIGH_NUMBER_VALUES']]);
    });
  });
});
