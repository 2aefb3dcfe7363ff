// millrace stream, simulate and stream-stats as child processes against real redis-server and PostgreSQL:
// the acceptance tests (kill -9 mid-stream, then restart: exactly one row per message; three workers in one
// group: no duplicates, no gaps), SIGTERM draining, stdout and DuckDB sinks, metrics, simulate's inputs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { instances, pendingCount, pgRows, publish, streamEntries, tempDir, writeWeightedSumModel } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');

let postgres: PostgresServer;
let redis: RedisServer;
let client: Redis;
let dir: { path: string; dispose(): Promise<void> };
let model: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  [postgres, redis, dir] = await Promise.all([startPostgres(), startRedisServer(), tempDir()]);
  client = redis.client();
  model = await writeWeightedSumModel(join(dir.path, 'models'));
});

afterAll(async () => {
  client?.disconnect();
  await Promise.all([postgres?.stop(), redis?.stop(), dir?.dispose()]);
});

interface Cli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

function cli(args: readonly string[]): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal!)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function run(args: readonly string[]): Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string }> {
  const c = cli(args);
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** The JSON log lines of a worker with this event. */
function events(stderr: string, event: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['event'] === event);
}

async function rowCount(table: string): Promise<number> {
  const [row] = await pgRows(postgres.url, `SELECT count(*)::int AS n FROM ${table}`).catch(() => [{ n: 0 }]);
  return Number(row!['n']);
}

/** Exactly one row per published message, each with its right prediction. */
async function expectExactlyOnce(table: string, ids: readonly string[]): Promise<void> {
  const [summary] = await pgRows(
    postgres.url,
    `SELECT count(*)::int AS rows, count(DISTINCT message_id)::int AS ids,
            count(*) FILTER (WHERE prediction::float8 = 2 * (instance::json->>'a')::int + 1)::int AS right,
            count(DISTINCT (instance::json->>'a')::int)::int AS distinct_a, min((instance::json->>'a')::int) AS min_a, max((instance::json->>'a')::int) AS max_a
     FROM ${table}`,
  );
  const n = ids.length;
  expect(summary).toEqual({ rows: n, ids: n, right: n, distinct_a: n, min_a: 0, max_a: n - 1 });
  const stored = await pgRows(postgres.url, `SELECT message_id FROM ${table}`);
  expect(new Set(stored.map((r) => r['message_id']))).toEqual(new Set(ids));
}

/** A worker's arguments; `sink`: a PostgreSQL table by name, or any sink URL. */
const workerArgs = (stream: string, sink: string, extra: readonly string[] = []): string[] => [
  'stream',
  '--source',
  `${redis.url}/${stream}?group=workers&claim-idle-ms=1000`,
  '--model',
  model,
  '--sink',
  sink.includes('://') ? sink : `${postgres.url}?table=${sink}`,
  '--window_size',
  '64',
  '--window_ms',
  '10',
  '--progress_interval_seconds',
  '0',
  ...extra,
];

describe('acceptance', () => {
  it('20k messages, the worker killed with SIGKILL mid-stream and started again: every message has exactly one row', async () => {
    const ids = await publish(client, 'accept', instances(20_000));
    const first = cli(workerArgs('accept', 'accept'));
    await waitFor(async () => (await rowCount('accept')) >= 4000 || first.child.exitCode !== null, 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const atKill = await rowCount('accept');
    // It died mid-stream, holding messages it had read but not acknowledged.
    expect(atKill).toBeLessThan(20_000);
    expect(await pendingCount(client, 'accept', 'workers')).toBeGreaterThan(0);
    const second = cli(workerArgs('accept', 'accept'));
    await waitFor(async () => (await rowCount('accept')) === 20_000 && (await pendingCount(client, 'accept', 'workers')) === 0, 60_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(events(second.stderr(), 'redis_source_claimed').length).toBeGreaterThan(0);
    await expectExactlyOnce('accept', ids);

    const stats = await run(['stream-stats', '--sink', `${postgres.url}?table=accept`]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('rows: 20000 (20000 distinct message ids); dead letters: 0\n');
    expect(stats.stdout).toMatch(/\npredictions: \S+ to \S+ \(\d+\.\d{3} s\): \d+\.\d rows\/s\n/);
    expect(stats.stdout).toMatch(/\nend-to-end latency \(prediction_time - event_time\), ms: p50 \d+\.\d, p90 \d+\.\d, p99 \d+\.\d, max \d+\.\d, mean \d+\.\d\n/);
    expect(stats.stdout).toContain('model weighted version 1: 20000 rows\n');
  });

  it('three workers in one group share a stream: no duplicates, no gaps, each did some of it', async () => {
    const workers = ['c1', 'c2', 'c3'].map((consumer) => cli(workerArgs('trio', 'trio', ['--max_in_flight', '2']).map((a) => a.replace('group=workers', `group=workers&consumer=${consumer}`))));
    await waitFor(async () => workers.every((w) => events(w.stderr(), 'stream_started').length === 1), 30_000);
    const ids = await publish(client, 'trio', instances(12_000));
    await waitFor(async () => (await rowCount('trio')) === 12_000 && (await pendingCount(client, 'trio', 'workers')) === 0, 60_000);
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
    await expectExactlyOnce('trio', ids);
    const predicted = workers.map((w) => Number(events(w.stderr(), 'stream_stopped')[0]!['predicted']));
    expect(predicted.every((n) => n > 0)).toBe(true);
    expect(predicted.reduce((a, b) => a + b, 0)).toBe(12_000);
  });
});

/** Exactly one entry per published message in a Redis stream sink, each with its right prediction. */
async function expectExactlyOnceInStream(sink: Redis, stream: string, ids: readonly string[]): Promise<void> {
  const entries = await streamEntries(sink, stream);
  expect(entries.length).toBe(ids.length);
  expect(new Set(entries.map((e) => e['message_id']))).toEqual(new Set(ids));
  const wrong = entries.filter((e) => Number(e['prediction']) !== 2 * (JSON.parse(e['instance']!) as { a: number }).a + 1);
  expect(wrong).toEqual([]);
}

// The same acceptance tests with a Redis stream sink, in both of its ways: on the source's own server and
// database it appends and acknowledges in one script; in another database it keeps dedup hashes and the
// worker acknowledges after the write.
describe.each([
  { way: 'appending and acknowledging in one script (sink on the source server)', db: '', acknowledges: true },
  { way: 'with dedup hashes (sink in another database)', db: '?db=1', acknowledges: false },
])('acceptance, Redis stream sink $way', ({ db, acknowledges }) => {
  const sinkIn = (name: string): string => `${redis.url}/${name}${db}`;
  let sink: Redis;
  beforeAll(() => {
    sink = db === '' ? client : redis.client(1);
  });
  afterAll(() => {
    if (sink !== client) sink.disconnect();
  });
  const redisWorker = (stream: string, out: string, extra: readonly string[] = []): string[] =>
    workerArgs(stream, sinkIn(out), extra);

  it('20k messages, the worker killed with SIGKILL mid-stream and started again: every message has exactly one entry', async () => {
    const [stream, out] = [`accept-r${db.length}`, `accept-r${db.length}:out`];
    const ids = await publish(client, stream, instances(20_000));
    const first = cli(redisWorker(stream, out));
    await waitFor(async () => (await sink.xlen(out)) >= 4000 || first.child.exitCode !== null, 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await sink.xlen(out)).toBeLessThan(20_000);
    expect(await pendingCount(client, stream, 'workers')).toBeGreaterThan(0);
    expect(events(first.stderr(), 'redis_sink_acknowledges_source').length).toBe(acknowledges ? 1 : 0);
    const second = cli(redisWorker(stream, out));
    await waitFor(async () => (await sink.xlen(out)) === 20_000 && (await pendingCount(client, stream, 'workers')) === 0, 60_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await expectExactlyOnceInStream(sink, out, ids);
  });
});

describe('millrace stream', () => {
  it('SIGTERM while windows are in flight drains them: everything read is written and acknowledged, exit 0', async () => {
    const ids = await publish(client, 'drain', instances(3000));
    const worker = cli(workerArgs('drain', 'drain', ['--window_size', '16', '--max_in_flight', '8']));
    await waitFor(async () => (await rowCount('drain')) > 0, 30_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const [stopped] = events(worker.stderr(), 'stream_stopped');
    expect(stopped!['reason']).toBe('stopped');
    expect(stopped!['acked']).toBe(stopped!['received']);
    expect(await rowCount('drain')).toBe(stopped!['predicted']);
    expect(await pendingCount(client, 'drain', 'workers')).toBe(0);
    expect(Number(stopped!['received'])).toBeLessThanOrEqual(ids.length);
  });

  it('writes JSON lines to stdout, dead letters too, and serves Prometheus metrics', async () => {
    const ids = await publish(client, 'to-stdout', ['{"a":1,"b":2}', '{"a":2,"b":0.5}', 'oops']);
    const port = await freePort();
    const worker = cli(['stream', '--source', `${redis.url}/to-stdout`, '--model', model, '--sink', 'stdout', '--metrics_port', String(port), '--window_size', '4', '--window_ms', '5']);
    await waitFor(async () => worker.stdout().split('\n').length === 4, 30_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('millrace_stream_messages_total{outcome="predicted"} 2\n');
    expect(metrics).toContain('millrace_stream_messages_total{outcome="dead_lettered"} 1\n');
    expect(metrics).toContain('millrace_stream_dead_letters_total{code="INVALID_ARGUMENT"} 1\n');
    expect(metrics).toContain('millrace_stream_acks_total 3\n');
    expect(metrics).toContain('millrace_stream_end_to_end_latency_seconds_count 2\n');
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
    const lines = worker
      .stdout()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['message_id'], l['prediction'] ?? l['error']])).toEqual([
      [ids[0], 4],
      [ids[1], 4.5],
      [ids[2], `INVALID_ARGUMENT: the message body is not valid JSON: Unexpected token 'o', "oops" is not valid JSON`],
    ]);
    expect(lines[0]).toMatchObject({ instance: { a: 1, b: 2 }, model_name: 'weighted', model_version: 1, event_time_ms: Number(ids[0]!.split('-')[0]) });
    expect(events(worker.stderr(), 'stream_started')[0]).toMatchObject({ source: `${redis.url}/to-stdout`, sink: 'stdout', window_size: 4, window_ms: 5 });
  });

  it('runs into DuckDB until idle (--idle_exit_ms), and stream-stats reads the table', async () => {
    await publish(client, 'to-duck', instances(30));
    const db = join(dir.path, 'cli.db');
    const result = await run(['stream', '--source', `${redis.url}/to-duck`, '--model', model, '--sink', `duckdb://${db}?table=preds`, '--window_size', '8', '--idle_exit_ms', '300']);
    expect(result.code).toBe(0);
    expect(events(result.stderr, 'stream_stopped')[0]).toMatchObject({ received: 30, predicted: 30, reason: 'idle' });
    const stats = await run(['stream-stats', '--sink', `duckdb://${db}?table=preds`, '--json']);
    expect(stats.code).toBe(0);
    const parsed = JSON.parse(stats.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({ sink: `duckdb://${db}?table=preds`, rows: 30, distinctMessageIds: 30, deadLetters: 0, versions: [{ modelName: 'weighted', modelVersion: 1, rows: 30 }] });
    expect((parsed['latencyMs'] as { p99: number }).p99).toBeGreaterThanOrEqual((parsed['latencyMs'] as { p50: number }).p50);
  });

  it('says what is wrong with its flags and endpoints (exit 2)', async () => {
    expect(await run(['stream', '--source', `${redis.url}/x`, '--model', model])).toMatchObject({ code: 2, stderr: 'millrace: stream needs --sink\n' });
    const unsupported = await run(['stream', '--source', 'amqp://host/q', '--model', model, '--sink', 'stdout']);
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr).toMatch(/^millrace: amqp:\/\/ is not a supported stream source; supported: .*redis:\/\//);
    expect(await run(['stream', '--source', `${redis.url}/x`, '--model', model, '--sink', 'stdout', '--window_size', '0'])).toMatchObject({
      code: 2,
      stderr: 'millrace: --window_size must be at least 1, got 0\n',
    });
    expect(await run(['stream-stats', '--sink', 'stdout'])).toMatchObject({
      code: 2,
      stderr: 'millrace: stream-stats reads a sink table: postgres://…?table=T or duckdb:///path.db?table=T, got "stdout"\n',
    });
  });
});

describe('millrace simulate', () => {
  it('publishes JSON lines, CSV and Parquet rows as instances, repeating the input up to --count, at --rate', async () => {
    const jsonl = join(dir.path, 'rows.jsonl');
    await writeFile(jsonl, '{"a":1,"b":2}\nnot json\n{"a":3,"b":4}\n');
    const started = Date.now();
    const result = await run(['simulate', '--input', jsonl, '--target', `${redis.url}/sim-jsonl`, '--count', '5', '--rate', '20']);
    expect(result.code).toBe(0);
    // Message i is due at i / rate: the fifth at 0.2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(result.stdout).toMatch(new RegExp(`^simulate: 5 messages published to ${redis.url}/sim-jsonl in \\d+\\.\\d\\d s \\(\\d+ messages/s\\) \\(1 input rows skipped: not readable or not an instance\\)\\n$`));
    expect(await bodies('sim-jsonl')).toEqual(['{"a":1,"b":2}', '{"a":3,"b":4}', '{"a":1,"b":2}', '{"a":3,"b":4}', '{"a":1,"b":2}']);

    const csv = join(dir.path, 'rows.csv');
    await writeFile(csv, 'id,a,b\n7,1.5,2\n8,3,"x"\n');
    expect((await run(['simulate', '--input', csv, '--target', `${redis.url}/sim-csv`, '--excluded_fields', 'id'])).code).toBe(0);
    expect(await bodies('sim-csv')).toEqual(['{"a":1.5,"b":2}', '{"a":3,"b":"x"}']);

    const parquet = join(dir.path, 'rows.parquet');
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    await connection.run(`COPY (SELECT CAST(i AS FLOAT) AS a, CAST(1 AS FLOAT) AS b FROM range(3) t(i)) TO '${parquet}' (FORMAT parquet)`);
    connection.closeSync();
    duck.closeSync();
    expect((await run(['simulate', '--input', parquet, '--target', `${redis.url}/sim-parquet`, '--count', '4'])).code).toBe(0);
    expect(await bodies('sim-parquet')).toEqual(['{"a":0,"b":1}', '{"a":1,"b":1}', '{"a":2,"b":1}', '{"a":0,"b":1}']);
  });

  it('says what is wrong (exit 2)', async () => {
    expect(await run(['simulate', '--input', join(dir.path, 'missing.jsonl'), '--target', `${redis.url}/x`])).toMatchObject({
      code: 2,
      stderr: `millrace: input ${join(dir.path, 'missing.jsonl')} does not exist\n`,
    });
    expect(await run(['simulate', '--input', 'x.jsonl', '--target', `${redis.url}/x`, '--rate', '-1'])).toMatchObject({ code: 2, stderr: 'millrace: --rate must not be negative, got -1\n' });
  });
});

async function bodies(stream: string): Promise<string[]> {
  return (await client.xrange(stream, '-', '+')).map(([, fields]) => fields[1]!);
}
