// Table inputs and outputs of batch jobs: DuckDB files made here, and a real PostgreSQL server started here.
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OnnxElemType } from '../../src/runtime/onnx-model-proto.js';
import { parseTableUrl } from '../../src/readers/table-url.js';
import { identityModel } from '../support/onnx-graphs.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { jsonLines, readOutputs, runJob, tempDir, weightedSumModel, writeModel } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.dispose());

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/** Runs statements on a DuckDB file (shared with the job through DuckDB's instance cache). */
async function duck(path: string, ...sql: string[]): Promise<Array<Record<string, unknown>>> {
  const connection = await (await DuckDBInstance.fromCache(path)).connect();
  try {
    let rows: Array<Record<string, unknown>> = [];
    for (const statement of sql) rows = await (await connection.runAndReadAll(statement)).getRowObjectsJS();
    return rows;
  } finally {
    connection.closeSync();
  }
}

async function postgres(...sql: string[]): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    let rows: Array<Record<string, unknown>> = [];
    for (const statement of sql) rows = (await client.query(statement)).rows as Array<Record<string, unknown>>;
    return rows;
  } finally {
    await client.end();
  }
}

const POINTS = [
  'CREATE TABLE points (id BIGINT, a DOUBLE, b INTEGER, note VARCHAR)',
  "INSERT INTO points VALUES (3, 1.5, 2, 'x'), (1, 1, 1, NULL), (2, 0.25, NULL, 'y'), (5, -1, 4, 'z'), (4, 2, 0, 'w')",
];

describe('table URLs', () => {
  it('take SQL as written after query=, and mask the password', () => {
    expect(parseTableUrl("postgres://u:secret@h:5432/db?sslmode=disable&query=SELECT a+b AS s FROM t WHERE n LIKE '%x%' AND f & 1 = 1")).toEqual({
      engine: 'postgres',
      target: 'postgres://u:secret@h:5432/db?sslmode=disable',
      source: { query: "SELECT a+b AS s FROM t WHERE n LIKE '%x%' AND f & 1 = 1" },
      display: "postgres://u:***@h:5432/db?sslmode=disable&query=SELECT a+b AS s FROM t WHERE n LIKE '%x%' AND f & 1 = 1",
    });
    expect(parseTableUrl('duckdb:///data/my%20w.db?query=SELECT%201')).toMatchObject({ engine: 'duckdb', target: '/data/my w.db', source: { query: 'SELECT 1' } });
    expect(parseTableUrl('duckdb:///w.db?table=main.preds')).toMatchObject({ target: '/w.db', source: { table: 'main.preds' } });
    expect(() => parseTableUrl('duckdb://w.db?table=t')).toThrow('duckdb://w.db?table=t: expected duckdb:///absolute/path.db (three slashes)');
    expect(() => parseTableUrl('postgres://u:pw@h/db?table=a;drop')).toThrow('postgres://u:***@h/db?table=a;drop: table "a;drop" is not a plain name');
    expect(() => parseTableUrl('postgres://h/db')).toThrow('give exactly one of ?table= or ?query=');
  });
});

describe('DuckDB', () => {
  it('reads a table in key order, in row-range units, into file shards', async () => {
    const db = join(dir.path, 'in.db');
    await duck(db, ...POINTS);
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const output = join(dir.path, 'out');
    const input = `duckdb://${db}?table=points`;
    const summary = await runJob({ model, input, output, recordsPerUnit: 2, shaping: { keyField: 'id', includedFields: ['a', 'b'], instanceType: 'object' } });
    expect(summary).toMatchObject({ rows: 5, succeeded: 4, failed: 1, shardsTotal: 3 });
    const files = await readOutputs(output);
    expect(files['prediction.results-00000-of-00003']).toBe('{"key":1,"instance":{"a":1,"b":1},"prediction":3.0}\n');
    expect(files['prediction.results-00001-of-00003']).toBe('{"key":3,"instance":{"a":1.5,"b":2},"prediction":5.0}\n{"key":4,"instance":{"a":2,"b":0},"prediction":4.0}\n');
    expect(files['prediction.results-00002-of-00003']).toBe('{"key":5,"instance":{"a":-1,"b":4},"prediction":2.0}\n');
    expect(jsonLines(files['prediction.errors-00000-of-00003']!)).toEqual([
      { key: 2, raw_record: { id: 2, a: 0.25, note: 'y' }, error: { code: 'INVALID_ARGUMENT', message: 'missing field "b" (named in --included_fields)' }, input, row: 2 },
    ]);
  });

  it('reads a query with int64 values exact, and writes one table row per prediction, sharded over two processes', async () => {
    const db = join(dir.path, 'jobs.db');
    await duck(db, 'CREATE TABLE big (id BIGINT, x BIGINT)', 'INSERT INTO big VALUES (10, 9007199254740993), (11, -9007199254740995), (12, 7), (13, NULL)');
    const model = await writeModel(dir.path, 'id', identityModel(OnnxElemType.INT64, [-1, 1]));
    const input = `duckdb://${db}?query=${encodeURIComponent('SELECT id, x FROM big WHERE id >= 11 OR x > 0')}`;
    const output = `duckdb://${db}?table=preds`;
    const shaping = { keyField: 'id', includedFields: ['x'], instanceType: 'array' } as const;
    for (const shardIndex of [1, 0]) {
      await runJob({ model, input, output, recordsPerUnit: 1, numOutputShards: 2, shardIndex, shardCount: 2, shaping });
    }
    expect(await duck(db, 'SELECT * FROM preds ORDER BY key')).toEqual([
      { key: '10', instance: '[9007199254740993]', prediction: '[9007199254740993]', model_name: 'id', model_version: 1n },
      { key: '11', instance: '[-9007199254740995]', prediction: '[-9007199254740995]', model_name: 'id', model_version: 1n },
      { key: '12', instance: '[7]', prediction: '[7]', model_name: 'id', model_version: 1n },
    ]);
    expect(await duck(db, 'SELECT * FROM preds_errors')).toEqual([
      { key: '13', instance: null, raw_record: '{"id":13}', error: '{"code":"INVALID_ARGUMENT","message":"missing field \\"x\\" (named in --included_fields)"}', input: decodeURIComponent(input), row: 4n },
    ]);
    expect(await duck(db, 'SELECT shard, shard_count FROM preds_shards ORDER BY shard')).toEqual([
      { shard: 0, shard_count: 2 },
      { shard: 1, shard_count: 2 },
    ]);
  });

  it('gives DATE and TIMESTAMP columns as ISO-8601 text, as from Parquet', async () => {
    const db = join(dir.path, 'dates.db');
    await duck(
      db,
      "SET TimeZone = 'UTC'",
      'CREATE TABLE days (id INTEGER, day DATE, ts TIMESTAMP, ts_ms TIMESTAMP_MS, ts_tz TIMESTAMPTZ)',
      `INSERT INTO days VALUES
        (1, DATE '2024-03-01', TIMESTAMP '2024-03-01 12:34:56.789012', TIMESTAMP_MS '2024-03-01 12:34:56.789', TIMESTAMPTZ '2024-03-01 12:00:00+02'),
        (2, DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59.5', NULL, NULL)`,
    );
    const output = join(dir.path, 'out');
    expect(await runJob({ input: `duckdb://${db}?table=days`, output, shaping: { keyField: 'id' } })).toMatchObject({ rows: 2, failed: 0 });
    expect((await readOutputs(output))['export.instances-00000-of-00001']).toBe(
      '{"id":1,"day":"2024-03-01","ts":"2024-03-01T12:34:56.789012Z","ts_ms":"2024-03-01T12:34:56.789Z","ts_tz":"2024-03-01T10:00:00.000000Z"}\n' +
        '{"id":2,"day":"1969-12-31","ts":"1969-12-31T23:59:59.500000Z"}\n',
    );
  });

  it('refuses to split a query without a stable order', async () => {
    const db = join(dir.path, 'in.db');
    await duck(db, ...POINTS);
    const input = `duckdb://${db}?query=SELECT * FROM points`;
    await expect(runJob({ input, output: join(dir.path, 'out'), numOutputShards: 2 })).rejects.toThrow(/needs a stable row order .* set --key_field/);
  });
});

describe('PostgreSQL', () => {
  it('reads a query and writes a table, values typed as in JSON lines', async () => {
    await postgres(
      'DROP TABLE IF EXISTS pts, out1, out1_errors, out1_shards',
      'CREATE TABLE pts (id BIGINT, a DOUBLE PRECISION, b INTEGER, label TEXT)',
      "INSERT INTO pts VALUES (9007199254740993, 1.5, 2, 'p'), (2, 3, NULL, 'q'), (3, 0.5, 1, NULL)",
    );
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = `${server.url}?query=SELECT id, a, b FROM pts`;
    const output = `${server.url}?table=out1`;
    const summary = await runJob({ model, input, output, shaping: { keyField: 'id', instanceType: 'object' } });
    expect(summary).toMatchObject({ rows: 3, succeeded: 2, failed: 1 });
    expect(await postgres('SELECT * FROM out1 ORDER BY length(key), key')).toEqual([
      { key: '3', instance: '{"a":0.5,"b":1}', prediction: '2.0', model_name: 'sum', model_version: '1' },
      { key: '9007199254740993', instance: '{"a":1.5,"b":2}', prediction: '5.0', model_name: 'sum', model_version: '1' },
    ]);
    const errors = await postgres('SELECT key, instance, input, row FROM out1_errors');
    expect(errors).toEqual([{ key: '2', instance: '{"a":3}', input: `${server.url}?query=SELECT id, a, b FROM pts`, row: '1' }]);
  });

  it('gives date, timestamp and timestamptz columns as ISO-8601 text in UTC, as from Parquet', async () => {
    await postgres(
      'DROP TABLE IF EXISTS pdays',
      'CREATE TABLE pdays (id INTEGER, day DATE, at TIMESTAMP, at_tz TIMESTAMPTZ)',
      "INSERT INTO pdays VALUES (1, '2024-03-01', '2024-03-01 12:34:56.789012', '2024-03-01 12:00:00+02'), (2, '1969-12-31', '1969-12-31 23:59:59.5', NULL)",
      // New sessions start in another time zone: the reader must still give UTC.
      "ALTER ROLE CURRENT_USER SET timezone TO 'Asia/Tokyo'",
    );
    const output = join(dir.path, 'out');
    try {
      expect(await runJob({ input: `${server.url}?table=pdays`, output, shaping: { keyField: 'id' } })).toMatchObject({ rows: 2, failed: 0 });
    } finally {
      await postgres('ALTER ROLE CURRENT_USER RESET timezone');
    }
    expect((await readOutputs(output))['export.instances-00000-of-00001']).toBe(
      '{"id":1,"day":"2024-03-01","at":"2024-03-01T12:34:56.789012Z","at_tz":"2024-03-01T10:00:00.000000Z"}\n' +
        '{"id":2,"day":"1969-12-31","at":"1969-12-31T23:59:59.500000Z"}\n',
    );
  });

  it('resumes a table output after a crash: the rolled-back shard is redone, committed ones are kept, every row once', async () => {
    // Rows 100 (shard 0) and 900 (shard 3) have no b, so each fails.
    const values = Array.from({ length: 1000 }, (_, i) => `(${i + 1}, ${i}, ${i === 99 || i === 899 ? 'NULL' : 1})`).join(', ');
    await postgres('DROP TABLE IF EXISTS nums, res, res_errors, res_shards', 'CREATE TABLE nums (id BIGINT, a REAL, b INTEGER)', `INSERT INTO nums VALUES ${values}`);
    const model = await writeModel(dir.path, 'sum', weightedSumModel());
    const input = `${server.url}?table=nums`;
    const output = `${server.url}?table=res`;
    const options = { model, input, output, recordsPerUnit: 250, batchSize: 50, shaping: { keyField: 'id', instanceType: 'object' } } as const;
    // 4 shards of 250 rows; the job dies on row 730, inside shard 2 (rows 501-750), after some of its rows were inserted.
    let read = 0;
    const signal = {
      get aborted(): boolean {
        return ++read >= 730;
      },
    };
    await expect(runJob({ ...options, signal })).rejects.toThrow(/cancelled/);
    expect(await postgres('SELECT shard FROM res_shards ORDER BY shard')).toEqual([{ shard: 0 }, { shard: 1 }]);
    expect(await postgres('SELECT count(*)::int AS n, max(key::int) AS last FROM res')).toEqual([{ n: 499, last: 500 }]);

    const summary = await runJob(options);
    // The failed row of committed shard 0 is read back from its marker, so the rerun still reports it.
    expect(summary).toMatchObject({ rows: 500, succeeded: 499, failed: 1, committedFailedRows: 1, shardsWritten: 2, shardsSkipped: 2 });
    expect(await postgres('SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys, min(key::int) AS first, max(key::int) AS last FROM res')).toEqual([
      { n: 998, keys: 998, first: 1, last: 1000 },
    ]);
    expect(await postgres('SELECT key FROM res_errors ORDER BY key')).toEqual([{ key: '100' }, { key: '900' }]);
    expect(await postgres('SELECT shard, failed_rows::int AS failed FROM res_shards ORDER BY shard')).toEqual([
      { shard: 0, failed: 1 },
      { shard: 1, failed: 0 },
      { shard: 2, failed: 0 },
      { shard: 3, failed: 1 },
    ]);
    expect(await runJob(options)).toMatchObject({ rows: 0, failed: 0, committedFailedRows: 2, shardsSkipped: 4 });
    expect(await postgres("SELECT key, instance, prediction FROM res WHERE key = '1000'")).toEqual([{ key: '1000', instance: '{"a":999,"b":1}', prediction: '1999.0' }]);
    expect(await postgres('SELECT shard, shard_count FROM res_shards ORDER BY shard')).toEqual([0, 1, 2, 3].map((shard) => ({ shard, shard_count: 4 })));

    // Another job's rows never land in the same tables.
    await expect(runJob({ ...options, recordsPerUnit: 500 })).rejects.toThrow(/holds shards of a different job/);
  });

  it('needs --key_field to shard a PostgreSQL input', async () => {
    await postgres('DROP TABLE IF EXISTS few', 'CREATE TABLE few (a INTEGER)', 'INSERT INTO few VALUES (1), (2)');
    await expect(runJob({ input: `${server.url}?table=few`, output: join(dir.path, 'out'), shardCount: 2, shardIndex: 1 })).rejects.toThrow(
      /a sharded job .* needs a stable row order to split this input; set --key_field/,
    );
  });
});
