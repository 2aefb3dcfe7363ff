import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import duckdb from '@duckdb/node-bindings';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATISTICS_OPTIONS } from '../../src/validation/feature-statistics.js';
import { accumulateStatistics } from '../../src/validation/generate-statistics.js';
import { readExamples } from '../../src/validation/readers/example-source.js';
import { StatisticsAccumulator } from '../../src/validation/statistics-accumulator.js';
import type { DatasetFeatureStatisticsList } from '../../src/validation/statistics-types.js';
import { feature, withTempDir } from './support.js';

/** Runs SQL in a fresh in-memory DuckDB (to write Parquet files of every type). */
async function duck(sql: string): Promise<void> {
  const database = await duckdb.open(':memory:');
  const connection = await duckdb.connect(database);
  try {
    await duckdb.query(connection, sql);
  } finally {
    duckdb.disconnect_sync(connection);
    duckdb.close_sync(database);
  }
}

/** The statistics of the Parquet row reader (hyparquet), example by example: the reference. */
async function rowStatistics(file: string, sliceBy: string[] = []): Promise<DatasetFeatureStatisticsList> {
  const accumulator = new StatisticsAccumulator(sliceBy);
  for await (const { example } of readExamples(file, 'parquet')) accumulator.add(example);
  return accumulator.toStatistics(DEFAULT_STATISTICS_OPTIONS);
}

async function columnStatistics(file: string, options: { sliceBy?: string[]; workers?: number; unitRows?: number } = {}): Promise<DatasetFeatureStatisticsList> {
  return (await accumulateStatistics([file], options)).toStatistics(DEFAULT_STATISTICS_OPTIONS);
}

// 600 rows of every scalar type the column reader maps, with nulls, negative values, NaN and infinities,
// strings longer than DuckDB's 12 inline bytes, multi-byte text and bytes that are not UTF-8.
const EVERY_TYPE = `
  SELECT
    (i % 3 = 0) AS flag,
    CAST(i % 100 - 50 AS TINYINT) AS tiny,
    CAST(i * 7 % 1000 AS SMALLINT) AS small,
    CASE WHEN i % 11 = 0 THEN NULL ELSE CAST(i * 37 % 500 AS INTEGER) END AS int32,
    CAST(i AS BIGINT) * 9007199254 - 3000000000000 AS int64,
    CAST(i * 1000003 AS UBIGINT) AS uint64,
    CAST(i / 7 AS FLOAT) AS float32,
    CASE WHEN i % 50 = 0 THEN 'NaN'::DOUBLE WHEN i = 7 THEN 'inf'::DOUBLE WHEN i = 8 THEN '-inf'::DOUBLE ELSE i / 3 - 20 END AS float64,
    CAST(i / 8 AS DECIMAL(9, 2)) AS money,
    CAST(i * 1.0001 AS DECIMAL(18, 4)) AS precise,
    DATE '2020-01-01' + CAST(i - 300 AS INTEGER) AS day,
    TIMESTAMP '1969-12-31 23:59:58.9995' + INTERVAL (i * 1234567) MICROSECOND AS micros,
    CAST(TIMESTAMP '2021-06-01 12:00:00' + INTERVAL (i) MINUTE AS TIMESTAMP_MS) AS millis,
    CAST(TIMESTAMP '1969-12-31 23:59:59' + INTERVAL (i * 1500) MICROSECOND AS TIMESTAMP_NS) AS nanos,
    CAST(TIMESTAMP '2021-01-01' + INTERVAL (i) SECOND AS TIMESTAMPTZ) AS zoned,
    CASE WHEN i % 13 = 0 THEN NULL ELSE ['red', 'green', 'blue', 'ultramarine-blue-ish', 'café', ''][i % 6 + 1] END AS color,
    CASE WHEN i % 2 = 0 THEN 'long-string-number-' || CAST(i % 40 AS VARCHAR) ELSE 's' || CAST(i % 9 AS VARCHAR) END AS word,
    CASE WHEN i % 4 = 0 THEN '\\xFF\\xFEab'::BLOB ELSE CAST('bytes' || CAST(i % 3 AS VARCHAR) AS BLOB) END AS raw
  FROM range(600) t(i)`;

describe('Parquet statistics by column (DuckDB reader)', () => {
  it('equal the row reader’s statistics for every scalar type, nulls and NaN included', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'types.parquet');
      await duck(`COPY (${EVERY_TYPE}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 256)`);
      const byColumn = await columnStatistics(file);
      expect(byColumn).toEqual(await rowStatistics(file));
      // Spot checks against values computed by hand.
      expect(feature(byColumn, 'flag')).toMatchObject({ type: 'INT', num_stats: { min: 0, max: 1, num_zeros: 400 } });
      expect(feature(byColumn, 'int32').num_stats!.common_stats).toMatchObject({ num_non_missing: 545, num_missing: 55 });
      expect(feature(byColumn, 'day').num_stats).toMatchObject({ min: Date.UTC(2019, 2, 7), max: Date.UTC(2020, 9, 26) });
      // 1969-12-31 23:59:58.9995 is -1000.5 ms: truncated toward zero to -1000, as Number(micros / 1000n) does.
      expect(feature(byColumn, 'micros').num_stats!.min).toBe(-1000);
      expect(feature(byColumn, 'float64').num_stats).toMatchObject({ min: -Infinity, max: Infinity, mean: NaN });
      expect(feature(byColumn, 'float64').num_stats!.histograms![0]!.num_nan).toBe(12);
      expect(feature(byColumn, 'money')).toMatchObject({ type: 'FLOAT', num_stats: { min: 0, max: 74.88 } });
      // The color column recomputed here from its definition.
      const colors = ['red', 'green', 'blue', 'ultramarine-blue-ish', 'café', ''];
      const counts = new Map<string, number>();
      for (let i = 0; i < 600; i++) if (i % 13 !== 0) counts.set(colors[i % 6]!, (counts.get(colors[i % 6]!) ?? 0) + 1);
      const bytes = [...counts].reduce((s, [c, n]) => s + Buffer.byteLength(c) * n, 0);
      const color = feature(byColumn, 'color').string_stats!;
      expect(color.unique).toBe(6);
      expect(color.top_values).toEqual(
        [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([value, frequency]) => ({ value, frequency })),
      );
      expect(color.avg_length).toBe(Math.fround(bytes / 553));
      expect(feature(byColumn, 'raw').string_stats!.top_values![0]).toEqual({ value: '\uFFFD\uFFFDab', frequency: 150 });
    });
  });

  it('slices by a string and a number column the way the row reader does', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'sliced.parquet');
      await duck(`COPY (SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE ['a', 'b'][i % 2 + 1] END AS k, i % 3 AS n, i * 1.5 AS x FROM range(100) t(i)) TO '${file}' (FORMAT parquet)`);
      const byColumn = await columnStatistics(file, { sliceBy: ['k', 'n'] });
      expect(byColumn).toEqual(await rowStatistics(file, ['k', 'n']));
      const expected = new Map<string, number>();
      for (let i = 0; i < 100; i++) {
        if (i % 5 === 0) continue;
        const name = `k_${i % 2 === 0 ? 'a' : 'b'}_n_${i % 3}`;
        expected.set(name, (expected.get(name) ?? 0) + 1);
      }
      expect(byColumn.datasets!.map((d) => [d.name, d.num_examples])).toEqual([['All Examples', 100], ...[...expected].sort()]);
    });
  });

  it('leaves a file with a list column to the row reader', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lists.parquet');
      await duck(`COPY (SELECT [i, i + 1] AS pair, 'x' || CAST(i AS VARCHAR) AS name FROM range(10) t(i)) TO '${file}' (FORMAT parquet)`);
      const stats = await columnStatistics(file);
      expect(stats).toEqual(await rowStatistics(file));
      expect(feature(stats, 'pair').num_stats!.common_stats).toMatchObject({ min_num_values: 2, max_num_values: 2, tot_num_values: 20 });
    });
  });

  it('names a missing file and a file that is not Parquet', async () => {
    await withTempDir(async (dir) => {
      await expect(columnStatistics(join(dir, 'none.parquet'))).rejects.toThrow(`cannot read ${join(dir, 'none.parquet')}: no such file`);
      await writeFile(join(dir, 'text.parquet'), 'not parquet at all');
      await expect(columnStatistics(join(dir, 'text.parquet'))).rejects.toThrow(`${join(dir, 'text.parquet')}: not a Parquet file DuckDB can read:`);
    });
  });
});

describe('statistics on several threads', () => {
  it('give the same output for 1 and 3 threads: units of row groups merged in file order', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'groups.parquet');
      await duck(`COPY (SELECT i % 97 AS a, (i * 7919) % 1000 / 10 AS b, 'c' || CAST(i % 17 AS VARCHAR) AS c FROM range(5000) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 500)`);
      const one = await columnStatistics(file, { workers: 1, unitRows: 1000 });
      const three = await columnStatistics(file, { workers: 3, unitRows: 1000 });
      expect(three).toEqual(one);
      const whole = await columnStatistics(file);
      expect(feature(three, 'a').num_stats).toMatchObject({ min: 0, max: 96, num_zeros: feature(whole, 'a').num_stats!.num_zeros });
      expect(feature(three, 'a').num_stats!.mean).toBeCloseTo(feature(whole, 'a').num_stats!.mean!, 10);
      expect(feature(three, 'c').string_stats!.top_values).toEqual(feature(whole, 'c').string_stats!.top_values);
    });
  });

  it('shares CSV files among threads, one unit per file, and reports a bad file', async () => {
    await withTempDir(async (dir) => {
      const files = [0, 1, 2].map((n) => join(dir, `part-${n}.csv`));
      await Promise.all(files.map((f, n) => writeFile(f, `x,y\n${n},a\n${n + 10},b\n`)));
      const stats = (await accumulateStatistics(files, { workers: 2 })).toStatistics(DEFAULT_STATISTICS_OPTIONS);
      expect(stats.datasets![0]!.num_examples).toBe(6);
      expect(feature(stats, 'x').num_stats).toMatchObject({ min: 0, max: 12, mean: 6 });
      await writeFile(files[1]!, 'x,y\n1\n');
      await expect(accumulateStatistics(files, { workers: 2 })).rejects.toThrow(`${files[1]}:2: row has 1 fields but the header names 2`);
    });
  });
});
