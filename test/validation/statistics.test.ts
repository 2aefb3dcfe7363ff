import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { feature, statisticsOf, withTempDir } from './support.js';

const CSV = `age,color,score,flag
1,red,0.5,1
3,blue,1.5,0
100,red,,1
7,green,2.5,0
20,red,-1,1
`;

describe('statistics of a CSV file (hand-computed)', () => {
  it('computes every numeric statistic with TFDV conventions', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.csv'), CSV);
      const stats = await statisticsOf([join(dir, 'a.csv')]);
      expect(stats.datasets?.[0]?.name).toBe('All Examples');
      expect(stats.datasets?.[0]?.num_examples).toBe(5);
      const age = feature(stats, 'age');
      expect(age.type).toBe('INT');
      const num = age.num_stats!;
      expect(num.common_stats).toMatchObject({ num_non_missing: 5, num_missing: 0, min_num_values: 1, max_num_values: 1, avg_num_values: 1, tot_num_values: 5 });
      expect(num.mean).toBeCloseTo(26.2, 12);
      // Population standard deviation: sqrt(7026.8 / 5).
      expect(num.std_dev).toBeCloseTo(Math.sqrt(1405.36), 12);
      expect(num).toMatchObject({ num_zeros: 0, min: 1, median: 7, max: 100 });
      const [standard, quantiles] = num.histograms!;
      expect(standard!.type).toBe('STANDARD');
      expect(standard!.buckets!.map((b) => b.sample_count)).toEqual([3, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
      expect(standard!.buckets![0]).toMatchObject({ low_value: 1 });
      expect(standard!.buckets![0]!.high_value).toBeCloseTo(10.9, 12);
      expect(standard!.buckets![9]!.high_value).toBe(100);
      expect(quantiles!.type).toBe('QUANTILES');
      // Sorted 1, 3, 7, 20, 100: the 0.1-quantile interpolates 1 + 0.4·(3 − 1).
      expect(quantiles!.buckets![0]!.low_value).toBe(1);
      expect(quantiles!.buckets![0]!.high_value).toBeCloseTo(1.8, 12);
      expect(quantiles!.buckets![4]!.high_value).toBe(7);
      expect(quantiles!.buckets!.every((b) => b.sample_count === 0.5)).toBe(true);
      expect(num.common_stats!.num_values_histogram!.type).toBe('QUANTILES');
      expect(num.common_stats!.num_values_histogram!.buckets).toHaveLength(10);
    });
  });

  it('types columns by the widest value (INT < FLOAT < STRING), treats empty cells as missing, counts zeros', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.csv'), CSV);
      const stats = await statisticsOf([join(dir, 'a.csv')]);
      const score = feature(stats, 'score');
      expect(score.type).toBe('FLOAT');
      expect(score.num_stats!.common_stats).toMatchObject({ num_non_missing: 4, num_missing: 1 });
      expect(score.num_stats!.mean).toBeCloseTo(0.875, 12);
      expect(score.num_stats!.median).toBe(1);
      expect(feature(stats, 'flag').num_stats).toMatchObject({ num_zeros: 2, min: 0, max: 1, mean: 0.6 });
    });
  });

  it('computes string statistics: unique, top values (ties: larger value first), rank histogram, byte length', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.csv'), CSV);
      const color = feature(await statisticsOf([join(dir, 'a.csv')]), 'color');
      expect(color.type).toBe('STRING');
      const s = color.string_stats!;
      expect(s.unique).toBe(3);
      expect(s.top_values).toEqual([
        { value: 'red', frequency: 3 },
        { value: 'green', frequency: 1 },
        { value: 'blue', frequency: 1 },
      ]);
      expect(s.rank_histogram!.buckets).toEqual([
        { low_rank: 0, high_rank: 0, label: 'red', sample_count: 3 },
        { low_rank: 1, high_rank: 1, label: 'green', sample_count: 1 },
        { low_rank: 2, high_rank: 2, label: 'blue', sample_count: 1 },
      ]);
      expect(s.avg_length).toBe(Math.fround(18 / 5));
    });
  });

  it('slices by a feature value, with TFDV slice names and every feature listed in every slice', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.csv'), CSV);
      const stats = await statisticsOf([join(dir, 'a.csv')], ['color']);
      expect(stats.datasets!.map((d) => [d.name, d.num_examples])).toEqual([
        ['All Examples', 5],
        ['color_blue', 1],
        ['color_green', 1],
        ['color_red', 3],
      ]);
      const redAge = feature(stats, 'age', 3).num_stats!;
      expect(redAge).toMatchObject({ min: 1, median: 20, max: 100 });
      expect(feature(stats, 'score', 3).num_stats!.common_stats).toMatchObject({ num_non_missing: 2, num_missing: 1 });
    });
  });

  it('counts NaN and infinities the TFDV way', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'n.csv'), 'x\n1\nnan\ninf\n2\n');
      const x = feature(await statisticsOf([join(dir, 'n.csv')]), 'x').num_stats!;
      expect(x.common_stats!.tot_num_values).toBe(4);
      expect(x).toMatchObject({ mean: Infinity, min: 1, max: Infinity, median: 2 });
      expect(x.histograms![0]!.num_nan).toBe(1);
      expect(x.histograms![0]!.buckets!.at(-1)).toEqual({ low_value: Infinity, high_value: Infinity, sample_count: 1 });
    });
  });
});

describe('statistics of JSON lines', () => {
  it('maps lists, empty lists, null, booleans and numbers', async () => {
    await withTempDir(async (dir) => {
      const lines = [
        { tags: ['a', 'b'], x: 1, ok: true },
        { tags: [], x: 2.5, ok: false },
        { x: null },
        { tags: ['a'], x: -1 },
      ];
      await writeFile(join(dir, 'd.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
      const stats = await statisticsOf([join(dir, 'd.jsonl')]);
      const tags = feature(stats, 'tags').string_stats!;
      expect(tags.common_stats).toMatchObject({ num_non_missing: 3, num_missing: 1, min_num_values: 0, max_num_values: 2, tot_num_values: 3, avg_num_values: 1 });
      expect(tags.top_values).toEqual([
        { value: 'a', frequency: 2 },
        { value: 'b', frequency: 1 },
      ]);
      const x = feature(stats, 'x');
      expect(x.type).toBe('FLOAT');
      expect(x.num_stats!.common_stats).toMatchObject({ num_non_missing: 3, num_missing: 1 });
      expect(x.num_stats!.mean).toBeCloseTo(2.5 / 3, 12);
      expect(feature(stats, 'ok')).toMatchObject({ type: 'INT', num_stats: { mean: 0.5, num_zeros: 1 } });
    });
  });

  it('types a number written as a float (2.0, 1e3) FLOAT, as Python writes floats, and reads {"b64": …} bytes', async () => {
    await withTempDir(async (dir) => {
      const lines = ['{"f": 2.0, "i": 2, "e": 1e3, "s": "2.5", "b": {"b64": "/w=="}}', '{"f": 3, "i": -4, "e": 7, "s": "x", "b": [{"b64": "aGk="}, "hi"]}'];
      await writeFile(join(dir, 'f.jsonl'), lines.join('\n'));
      const stats = await statisticsOf([join(dir, 'f.jsonl')]);
      expect(['f', 'i', 'e', 's', 'b'].map((n) => feature(stats, n).type)).toEqual(['FLOAT', 'INT', 'FLOAT', 'STRING', 'STRING']);
      expect(feature(stats, 'f').num_stats).toMatchObject({ mean: 2.5, min: 2, max: 3 });
      const b = feature(stats, 'b').string_stats!;
      expect(b.top_values).toEqual([
        { value: 'hi', frequency: 2 },
        { value: '__BYTES_VALUE__', frequency: 1 },
      ]);
      // 0xff (1 byte, not UTF-8), "hi" as bytes and as text (2 bytes each): 5 bytes over 3 values.
      expect(b.invalid_utf8_count).toBe(1);
      expect(b.avg_length).toBe(Math.fround(5 / 3));
    });
  });

  it('names the file, line and feature of bad input', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'bad.jsonl'), '{"a": 1}\n{"a": [[1]]}\n');
      await expect(statisticsOf([join(dir, 'bad.jsonl')])).rejects.toThrow(`${join(dir, 'bad.jsonl')}:2: feature "a": holds a nested list; only scalars, {"b64": …} bytes and flat lists of them are supported`);
      await writeFile(join(dir, 'broken.jsonl'), '{"a": 1}\n{"a": \n');
      await expect(statisticsOf([join(dir, 'broken.jsonl')])).rejects.toThrow(`${join(dir, 'broken.jsonl')}:2: not valid JSON`);
      await writeFile(join(dir, 'short.csv'), 'a,b\n1,2\n3\n');
      await expect(statisticsOf([join(dir, 'short.csv')])).rejects.toThrow(`${join(dir, 'short.csv')}:3: row has 1 fields but the header names 2`);
    });
  });
});

describe('statistics of Parquet', () => {
  it('reads a file written by hyparquet-writer with exact statistics; DOUBLE columns stay FLOAT', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'p.parquet');
      parquetWriteFile({
        filename: file,
        columnData: [
          { name: 'city', data: ['Oslo', 'Rome', 'Oslo', null, 'Oslo'], type: 'STRING' },
          { name: 'temp', data: [1, 2, 3, 4, 5], type: 'DOUBLE' },
          { name: 'count', data: [10, null, 30, 0, 50], type: 'INT32' },
        ],
        rowGroupSize: 2,
      });
      const stats = await statisticsOf([file]);
      expect(stats.datasets![0]!.num_examples).toBe(5);
      expect(feature(stats, 'city').string_stats).toMatchObject({ unique: 2, top_values: [{ value: 'Oslo', frequency: 3 }, { value: 'Rome', frequency: 1 }] });
      expect(feature(stats, 'city').string_stats!.common_stats).toMatchObject({ num_non_missing: 4, num_missing: 1 });
      expect(feature(stats, 'temp')).toMatchObject({ type: 'FLOAT', num_stats: { mean: 3, median: 3, min: 1, max: 5 } });
      expect(feature(stats, 'count')).toMatchObject({ type: 'INT', num_stats: { mean: 22.5, num_zeros: 1, median: 20 } });
    });
  });
});
