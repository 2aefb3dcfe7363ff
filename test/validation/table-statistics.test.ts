// `millrace stats` over tables: a DuckDB file made here, and a real PostgreSQL server started here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaCommand } from '../../src/cli/schema.js';
import { statsCommand } from '../../src/cli/stats.js';
import { validateCommand } from '../../src/cli/validate.js';
import { readStatisticsFile } from '../../src/validation/metadata-protos.js';
import type { DatasetFeatureStatisticsList } from '../../src/validation/statistics-types.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { feature, withTempDir } from './support.js';
import { captureProcessOutput } from '../support/process-output.js';

const { stderr } = captureProcessOutput();

/** Runs statements on a DuckDB file (shared with the command through DuckDB's instance cache). */
async function duckdb(path: string, ...sql: string[]): Promise<void> {
  const connection = await (await DuckDBInstance.fromCache(path)).connect();
  try {
    for (const statement of sql) await connection.run(statement);
  } finally {
    connection.closeSync();
  }
}

async function statsOf(input: string, dir: string): Promise<DatasetFeatureStatisticsList> {
  const output = join(dir, `stats-${Math.random().toString(36).slice(2)}.json`);
  const code = await statsCommand(['--input', input, '--output', output]);
  if (code !== 0) throw new Error(`stats exited ${code}: ${stderr.join('')}`);
  return readStatisticsFile(output);
}

/** Each value once per row: [examples present, missing, tot values, min values, max values]. */
function presence(list: DatasetFeatureStatisticsList, name: string) {
  const f = feature(list, name);
  const c = (f.num_stats ?? f.string_stats)!.common_stats!;
  return [c.num_non_missing ?? 0, c.num_missing ?? 0, c.tot_num_values ?? 0, c.min_num_values ?? 0, c.max_num_values ?? 0];
}

// The same five rows in both databases; NULLs are missing features.
//  id | price | flag  | name | day        | tags      | amount
//   1 |   1.0 | true  | a    | 1970-01-02 | [x, y]    | 1.50
//   2 |   2.0 | false | bb   | 1970-01-03 | []        | 2.50
//   3 |  NULL | true  | a    | NULL       | [x]       | NULL
//   4 |   5.0 | NULL  | NULL | 1970-01-02 | NULL      | 0.00
//   5 |   7.0 | true  | a    | 1970-01-05 | [z]       | 3.00
const ROWS = [
  "(1, 1.0, true, 'a', DATE '1970-01-02', ['x', 'y'], 1.50)",
  "(2, 2.0, false, 'bb', DATE '1970-01-03', [], 2.50)",
  "(3, NULL, true, 'a', NULL, ['x'], NULL)",
  "(4, 5.0, NULL, NULL, DATE '1970-01-02', NULL, 0.00)",
  "(5, 7.0, true, 'a', DATE '1970-01-05', ['z'], 3.00)",
];
const DAY = 86_400_000;

/** What both databases' five rows give, computed by hand. */
function expectFiveRows(list: DatasetFeatureStatisticsList): void {
  expect(list.datasets!.map((d) => [d.name, d.num_examples])).toEqual([['All Examples', 5]]);
  expect(list.datasets![0]!.features!.map((f) => [f.path!.step[0], f.type])).toEqual([
    ['amount', 'FLOAT'],
    ['day', 'INT'],
    ['flag', 'INT'],
    ['id', 'INT'],
    ['name', 'STRING'],
    ['price', 'FLOAT'],
    ['tags', 'STRING'],
  ]);
  expect(presence(list, 'id')).toEqual([5, 0, 5, 1, 1]);
  expect(feature(list, 'id').num_stats).toMatchObject({ mean: 3, min: 1, max: 5, median: 3 });
  expect(feature(list, 'id').num_stats!.std_dev).toBeCloseTo(Math.SQRT2, 12);
  // A DOUBLE column of integral values is FLOAT: mean 15/4, population variance 22.75/4.
  expect(presence(list, 'price')).toEqual([4, 1, 4, 1, 1]);
  expect(feature(list, 'price').num_stats).toMatchObject({ mean: 3.75, min: 1, max: 7 });
  expect(feature(list, 'price').num_stats!.std_dev).toBeCloseTo(Math.sqrt(5.6875), 12);
  // Booleans as 0/1.
  expect(presence(list, 'flag')).toEqual([4, 1, 4, 1, 1]);
  // (A min of 0 is proto3's default: the file leaves it out.)
  expect(feature(list, 'flag').num_stats).toMatchObject({ mean: 0.75, num_zeros: 1, max: 1 });
  expect(feature(list, 'flag').num_stats!.min).toBeUndefined();
  // Dates as epoch milliseconds.
  expect(presence(list, 'day')).toEqual([4, 1, 4, 1, 1]);
  expect(feature(list, 'day').num_stats).toMatchObject({ mean: 2 * DAY, min: DAY, max: 4 * DAY });
  expect(presence(list, 'amount')).toEqual([4, 1, 4, 1, 1]);
  expect(feature(list, 'amount').num_stats).toMatchObject({ mean: 1.75, num_zeros: 1, max: 3 });
  expect(feature(list, 'amount').num_stats!.min).toBeUndefined();
  expect(presence(list, 'name')).toEqual([4, 1, 4, 1, 1]);
  expect(feature(list, 'name').string_stats).toMatchObject({
    unique: 2,
    top_values: [
      { value: 'a', frequency: 3 },
      { value: 'bb', frequency: 1 },
    ],
    avg_length: 1.25,
  });
  // A list column: the empty list is present with no values.
  expect(presence(list, 'tags')).toEqual([4, 1, 4, 0, 2]);
  expect(feature(list, 'tags').string_stats).toMatchObject({
    unique: 3,
    top_values: [
      { value: 'x', frequency: 2 },
      { value: 'z', frequency: 1 },
      { value: 'y', frequency: 1 },
    ],
  });
}

describe('stats over a DuckDB table', () => {
  it('reads ?table= with typed columns and ?query= with commas in it', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'w.db');
      await duckdb(
        db,
        'CREATE TABLE t (id BIGINT, price DOUBLE, flag BOOLEAN, name VARCHAR, day DATE, tags VARCHAR[], amount DECIMAL(6,2))',
        `INSERT INTO t VALUES ${ROWS.join(', ')}`,
      );
      expectFiveRows(await statsOf(`duckdb://${db}?table=t`, dir));

      const queried = await statsOf(`duckdb://${db}?query=SELECT id, name FROM t WHERE id > 2`, dir);
      expect(queried.datasets![0]!.num_examples).toBe(3);
      expect(queried.datasets![0]!.features!.map((f) => [f.path!.step[0], f.type])).toEqual([
        ['id', 'INT'],
        ['name', 'STRING'],
      ]);
      expect(feature(queried, 'id').num_stats).toMatchObject({ mean: 4, min: 3, max: 5 });
      expect(presence(queried, 'name')).toEqual([2, 1, 2, 1, 1]);
    });
  });

  it('refuses a column type it cannot read, naming the column', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'w.db');
      await duckdb(db, 'CREATE TABLE t (id INTEGER, wait INTERVAL)', "INSERT INTO t VALUES (1, INTERVAL '2 days')");
      expect(await statsCommand(['--input', `duckdb://${db}?table=t`, '--output', join(dir, 'x.json')])).toBe(2);
      expect(stderr.join('')).toContain(
        `millrace: duckdb://${db}?table=t: column "wait" has type INTERVAL, which statistics do not read (numbers, booleans, dates, timestamps, text, binary and lists of them); cast it or leave it out with ?query=SELECT …`,
      );
      expect(await statsCommand(['--input', `duckdb://${join(dir, 'none.db')}?table=t`, '--output', join(dir, 'x.json')])).toBe(2);
      expect(stderr.join('')).toContain(`no such DuckDB file ${join(dir, 'none.db')}`);
    });
  });

  it('validates a table and lists the rows that break the schema (validate --input --rows)', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'w.db');
      await duckdb(db, 'CREATE TABLE t (id BIGINT, name VARCHAR)', "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'c')");
      const at = (name: string) => join(dir, name);
      expect(await statsCommand(['--input', `duckdb://${db}?query=SELECT id, name FROM t WHERE name = 'a'`, '--output', at('a.json')])).toBe(0);
      expect(await schemaCommand(['infer', '--stats', at('a.json'), '--output', at('schema.pbtxt')])).toBe(0);
      const table = `duckdb://${db}?table=t`;
      expect(await validateCommand(['--input', table, '--schema', at('schema.pbtxt'), '--output', at('anomalies.json'), '--rows', at('rows.jsonl')])).toBe(1);
      const rows = (await readFile(at('rows.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(rows.map((r) => [r.file, r.row, r.feature, r.type])).toEqual([
        [table, 2, 'name', 'ENUM_TYPE_UNEXPECTED_STRING_VALUES'],
        [table, 4, 'name', 'ENUM_TYPE_UNEXPECTED_STRING_VALUES'],
      ]);
      expect(stderr.join('')).toContain(`validate: 2 row(s) break the schema, 2 anomalies → ${at('rows.jsonl')}\n`);
    });
  });

  it('slices a table like a file', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'w.db');
      await duckdb(db, 'CREATE TABLE t (id BIGINT, name VARCHAR)', "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'a')");
      const output = join(dir, 'sliced.json');
      expect(await statsCommand(['--input', `duckdb://${db}?table=t`, '--output', output, '--slice-by', 'name'])).toBe(0);
      const written = JSON.parse(await readFile(output, 'utf8')) as { datasets: Array<{ name: string; numExamples: string }> };
      expect(written.datasets.map((d) => [d.name, d.numExamples])).toEqual([
        ['All Examples', '3'],
        ['name_a', '2'],
        ['name_b', '1'],
      ]);
    });
  });
});

describe('stats over a PostgreSQL table', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE t (id BIGINT, price DOUBLE PRECISION, flag BOOLEAN, name TEXT, day DATE, tags TEXT[], amount NUMERIC(6,2), wait INTERVAL)',
      );
      await client.query(`INSERT INTO t (id, price, flag, name, day, tags, amount) VALUES ${ROWS.map((r) => r.replace(/\[([^\]]*)\]/, 'ARRAY[$1]::text[]')).join(', ')}`);
      await client.query("CREATE TABLE ends (d DATE); INSERT INTO ends VALUES ('-infinity'), ('1970-01-02'), ('infinity')");
      await client.query('CREATE TABLE counts (n INT8[], r REAL, at TIMESTAMP)');
      await client.query(
        "INSERT INTO counts VALUES (ARRAY[1, 2]::int8[], 0.5, '1970-01-01 00:00:01.500001'), ('{}', 'NaN', '1970-01-02 00:00:00'), (NULL, 1.5, NULL)",
      );
    } finally {
      await client.end();
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('reads ?query= with the column types PostgreSQL declares', async () => {
    await withTempDir(async (dir) => {
      expectFiveRows(await statsOf(`${server.url}?query=SELECT id, price, flag, name, day, tags, amount FROM t`, dir));
    });
  });

  it('reads ?table=: int8[] values (strings from the driver) as INT, NaN as a value, timestamps as epoch ms, and refuses INTERVAL by name', async () => {
    await withTempDir(async (dir) => {
      const counts = await statsOf(`${server.url}?table=counts`, dir);
      expect(counts.datasets![0]!.num_examples).toBe(3);
      expect(feature(counts, 'n').type).toBe('INT');
      expect(presence(counts, 'n')).toEqual([2, 1, 2, 0, 2]);
      expect(feature(counts, 'n').num_stats).toMatchObject({ mean: 1.5, min: 1, max: 2 });
      expect(feature(counts, 'r').type).toBe('FLOAT');
      expect(presence(counts, 'r')).toEqual([3, 0, 3, 1, 1]);
      expect(feature(counts, 'r').num_stats).toMatchObject({ mean: 1, min: 0.5, max: 1.5 });
      expect(feature(counts, 'r').num_stats!.histograms![0]!.num_nan).toBe(1);
      // Timestamps as epoch milliseconds (microseconds dropped), UTC.
      expect(feature(counts, 'at').type).toBe('INT');
      expect(feature(counts, 'at').num_stats).toMatchObject({ min: 1500, max: DAY, mean: (1500 + DAY) / 2 });

      expect(await statsCommand(['--input', `${server.url}?table=t`, '--output', join(dir, 'x.json')])).toBe(2);
      expect(stderr.join('')).toContain(`millrace: ${server.url}?table=t: column "wait" has type interval, which statistics do not read`);
    });
  });

  it('reads infinite dates (PostgreSQL writes them "infinity" and "-infinity") as infinite values, not NaN', async () => {
    await withTempDir(async (dir) => {
      const ends = await statsOf(`${server.url}?table=ends`, dir);
      expect(feature(ends, 'd').type).toBe('INT');
      expect(feature(ends, 'd').num_stats).toMatchObject({ min: -Infinity, max: Infinity, median: DAY });
    });
  });
});
