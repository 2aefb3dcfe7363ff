// Every sink millrace stream writes to, against real servers: rows stored exactly, idempotent by message id,
// dead letters in their own place, a table that cannot hold stream rows refused at the start.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, PredictionRecord, StreamSink } from '../../src/pipeline/stream/stream-contracts.js';
import type { Logger } from '../../src/logging/logger.js';
import { linkSinksToSource, openStreamSink, openStreamSource, SINK_SCHEMES } from '../../src/pipeline/stream/stream-endpoints.js';
import { StdoutSink } from '../../src/pipeline/stream/stdout-sink.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { duckRows, pendingCount, pgRows, publish, streamEntries, tempDir } from './support.js';

let postgres: PostgresServer;
let redis: RedisServer;
let client: Redis;
let dir: { path: string; dispose(): Promise<void> };

beforeAll(async () => {
  [postgres, redis, dir] = await Promise.all([startPostgres(), startRedisServer(), tempDir()]);
  client = redis.client();
});

afterAll(async () => {
  client?.disconnect();
  await Promise.all([postgres?.stop(), redis?.stop(), dir?.dispose()]);
});

const T0 = 1_795_000_000_123;

function record(id: string, a: number, latencyMs = 7): PredictionRecord {
  return {
    messageId: id,
    instance: `{"a":${a},"b":1}`,
    prediction: `${2 * a + 1}.0`,
    modelName: 'weighted',
    modelVersion: 3,
    eventTimeMs: T0 + a,
    predictionTimeMs: T0 + a + latencyMs,
  };
}

function letter(id: string): DeadLetter {
  return { messageId: id, body: 'not json', error: 'INVALID_ARGUMENT: the message body is not valid JSON', deliveries: 2, eventTimeMs: T0, failedTimeMs: T0 + 50 };
}

/** Writes 1-0 … 3-0, then 2-0 and 3-0 again (with other values, as a second prediction would have) and 4-0. */
async function writeTwice(sink: StreamSink): Promise<void> {
  await sink.write([record('1-0', 1), record('2-0', 2), record('3-0', 3)]);
  await sink.write([record('2-0', 20, 99), record('3-0', 30, 99), record('4-0', 4)]);
  await sink.writeDeadLetters([letter('9-0')]);
  await sink.writeDeadLetters([letter('9-0'), { ...letter('8-0'), error: 'UNAVAILABLE: down' }]);
}

const EXPECTED_ROWS = [1, 2, 3, 4].map((a) => ({
  message_id: `${a}-0`,
  instance: `{"a":${a},"b":1}`,
  prediction: `${2 * a + 1}.0`,
  model_name: 'weighted',
  event_ms: T0 + a,
  prediction_ms: T0 + a + 7,
}));

describe('PostgreSQL sink', () => {
  it('stores one row per message id with exact values and timestamps; dead letters in T_dead_letters', async () => {
    const sink = await openStreamSink(`${postgres.url}?table=preds`, { role: 'predictions' });
    expect(sink.display).toBe(`${postgres.url}?table=preds`);
    await writeTwice(sink);
    await sink.close();
    const rows = await pgRows(
      postgres.url,
      `SELECT message_id, instance, prediction, model_name, model_version::int AS version,
              (extract(epoch FROM event_time) * 1000)::bigint::text AS event_ms, (extract(epoch FROM prediction_time) * 1000)::bigint::text AS prediction_ms
       FROM preds ORDER BY message_id`,
    );
    expect(rows).toEqual(EXPECTED_ROWS.map((r) => ({ ...r, version: 3, event_ms: String(r.event_ms), prediction_ms: String(r.prediction_ms) })));
    const letters = await pgRows(postgres.url, 'SELECT message_id, body, error, deliveries FROM preds_dead_letters ORDER BY message_id');
    expect(letters).toEqual([
      { message_id: '8-0', body: 'not json', error: 'UNAVAILABLE: down', deliveries: 2 },
      { message_id: '9-0', body: 'not json', error: 'INVALID_ARGUMENT: the message body is not valid JSON', deliveries: 2 },
    ]);
  });

  it('takes concurrent writes (windows in flight share one connection) and a --dead-letter table', async () => {
    const sink = await openStreamSink(`${postgres.url}?table=concurrent`, { role: 'predictions' });
    const dead = await openStreamSink(`${postgres.url}?table=rejected`, { role: 'dead-letters' });
    await Promise.all(Array.from({ length: 20 }, (_, w) => sink.write(Array.from({ length: 10 }, (_, i) => record(`${w}-${i}`, i)))));
    await dead.writeDeadLetters([letter('5-0')]);
    await Promise.all([sink.close(), dead.close()]);
    expect(await pgRows(postgres.url, 'SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS ids FROM concurrent')).toEqual([{ n: 200, ids: 200 }]);
    expect(await pgRows(postgres.url, 'SELECT message_id FROM rejected')).toEqual([{ message_id: '5-0' }]);
    expect(await pgRows(postgres.url, "SELECT to_regclass('rejected_dead_letters') IS NULL AS absent")).toEqual([{ absent: true }]);
  });

  it('refuses a table without a unique message_id, naming the columns it needs', async () => {
    await pgRows(postgres.url, 'CREATE TABLE legacy (message_id TEXT, instance TEXT, prediction TEXT, model_name TEXT, model_version BIGINT, event_time TIMESTAMPTZ, prediction_time TIMESTAMPTZ)');
    await expect(openStreamSink(`${postgres.url}?table=legacy`, { role: 'predictions' })).rejects.toThrow(
      `${postgres.url}?table=legacy: table legacy cannot hold stream rows (it needs the columns message_id, instance, prediction, model_name, model_version, event_time, prediction_time and message_id as its primary key): there is no unique or exclusion constraint matching the ON CONFLICT specification`,
    );
  });
});

describe('DuckDB sink', () => {
  it('stores one row per message id with exact values and timestamps; dead letters in T_dead_letters', async () => {
    const db = join(dir.path, 'sink.db');
    const sink = await openStreamSink(`duckdb://${db}?table=preds`, { role: 'predictions' });
    await writeTwice(sink);
    await sink.close();
    const rows = await duckRows(
      db,
      'SELECT message_id, instance, prediction, model_name, model_version, epoch_ms(event_time) AS event_ms, epoch_ms(prediction_time) AS prediction_ms FROM preds ORDER BY message_id',
    );
    expect(rows).toEqual(EXPECTED_ROWS.map((r) => ({ ...r, model_version: 3n, event_ms: BigInt(r.event_ms), prediction_ms: BigInt(r.prediction_ms) })));
    expect(await duckRows(db, 'SELECT message_id, error, deliveries, epoch_ms(failed_time) AS failed_ms FROM preds_dead_letters ORDER BY message_id')).toEqual([
      { message_id: '8-0', error: 'UNAVAILABLE: down', deliveries: 2, failed_ms: BigInt(T0 + 50) },
      { message_id: '9-0', error: 'INVALID_ARGUMENT: the message body is not valid JSON', deliveries: 2, failed_ms: BigInt(T0 + 50) },
    ]);
  });

  it('refuses a query URL', async () => {
    await expect(openStreamSink(`duckdb://${join(dir.path, 'q.db')}?query=SELECT 1`, { role: 'predictions' })).rejects.toThrow(
      `duckdb://${join(dir.path, 'q.db')}?query=SELECT 1: a stream sink needs ?table=, not ?query=`,
    );
  });
});

describe('Redis stream sink', () => {
  it('appends one entry per message id (ids kept in an expiring dedup hash); dead letters in STREAM:dead-letters', async () => {
    const sink = await openStreamSink(`${redis.url}/preds?dedup-ttl-ms=60000`, { role: 'predictions' });
    await writeTwice(sink);
    await sink.close();
    expect(await streamEntries(client, 'preds')).toEqual(
      EXPECTED_ROWS.map((r) => ({ ...r, model_version: '3', event_time_ms: String(r.event_ms), prediction_time_ms: String(r.prediction_ms), event_ms: undefined, prediction_ms: undefined })).map(
        ({ event_ms: _e, prediction_ms: _p, ...rest }) => rest,
      ),
    );
    expect(await streamEntries(client, 'preds:dead-letters')).toEqual([
      { message_id: '9-0', body: 'not json', error: 'INVALID_ARGUMENT: the message body is not valid JSON', deliveries: '2', event_time_ms: String(T0), failed_time_ms: String(T0 + 50) },
      { message_id: '8-0', body: 'not json', error: 'UNAVAILABLE: down', deliveries: '2', event_time_ms: String(T0), failed_time_ms: String(T0 + 50) },
    ]);
    // One hash per 60 s period of Redis's clock (two if the writes straddled a period's end).
    const period = Math.floor(Number((await client.time())[0]) / 60);
    const hashes = (await client.keys('preds:seen:*')).sort();
    expect([[`preds:seen:${period}`], [`preds:seen:${period - 1}`, `preds:seen:${period}`]]).toContainEqual(hashes);
    expect((await Promise.all(hashes.map((h) => client.hkeys(h)))).flat().sort()).toEqual(['1-0', '2-0', '3-0', '4-0']);
    // Each hash lives two periods from its start: more than one period from now for the current one.
    const ttl = await client.pttl(`preds:seen:${period}`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it('appends an id given twice in one write once (merged windows may carry a redelivered message twice)', async () => {
    const sink = await openStreamSink(`${redis.url}/twice`, { role: 'predictions' });
    await sink.write([record('1-0', 1), record('2-0', 2), record('1-0', 10, 99)]);
    await sink.close();
    expect((await streamEntries(client, 'twice')).map((e) => [e['message_id'], e['instance']])).toEqual([
      ['1-0', '{"a":1,"b":1}'],
      ['2-0', '{"a":2,"b":1}'],
    ]);
  });

  it('keeps each record model version when one write holds several (the script takes one per call)', async () => {
    const sink = await openStreamSink(`${redis.url}/versions`, { role: 'predictions' });
    await sink.write([record('1-0', 1), { ...record('2-0', 2), modelVersion: 4 }, { ...record('3-0', 3), modelVersion: 4 }, { ...record('2-0', 2), modelVersion: 3 }, record('5-0', 5)]);
    await sink.close();
    expect((await streamEntries(client, 'versions')).map((e) => [e['message_id'], e['model_name'], e['model_version'], e['prediction_time_ms']])).toEqual([
      ['1-0', 'weighted', '3', String(T0 + 8)],
      ['2-0', 'weighted', '4', String(T0 + 9)],
      ['3-0', 'weighted', '4', String(T0 + 10)],
      ['5-0', 'weighted', '3', String(T0 + 12)],
    ]);
  });

  it('leaves no dedup key behind when the append fails, so the retry appends', async () => {
    await client.set('blocked', 'a string, not a stream');
    const sink = await openStreamSink(`${redis.url}/blocked`, { role: 'predictions' });
    await expect(sink.write([record('1-0', 1)])).rejects.toThrow(/^redis:\/\/127\.0\.0\.1:\d+\/blocked: appending to stream blocked failed: .*WRONGTYPE/);
    expect(await client.keys('blocked:seen:*')).toEqual([]);
    await client.del('blocked');
    await sink.write([record('1-0', 1)]);
    await sink.close();
    expect((await streamEntries(client, 'blocked')).map((e) => e['message_id'])).toEqual(['1-0']);
  });

  it('on its source server, appends and acknowledges in one script: a message acknowledged already is skipped, by name', async () => {
    const ids = await publish(client, 'acked-src', ['{"a":0}', '{"a":1}', '{"a":2}', '{"a":3}']);
    const source = await openStreamSource(`${redis.url}/acked-src?group=g&consumer=c`, { claimIdleMs: 60_000 });
    expect((await source.receive(10, 0)).map((m) => m.id)).toEqual(ids);
    const logged: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger: Logger = { log: (_level, event, fields) => logged.push([event, fields]) };
    const sink = await openStreamSink(`${redis.url}/acked`, { role: 'predictions', logger });
    expect(sink.acknowledgesSource).toBe(false);
    linkSinksToSource(source, [sink]);
    expect(sink.acknowledgesSource).toBe(true);
    // As if another worker had taken message 1 over and stored it.
    await client.xack('acked-src', 'g', ids[1]!);
    await sink.write([record(ids[0]!, 0), record(ids[1]!, 1), record(ids[2]!, 2), record(ids[0]!, 0)]);
    expect((await streamEntries(client, 'acked')).map((e) => [e['message_id'], e['instance'], e['prediction'], e['model_version'], e['event_time_ms']])).toEqual([
      [ids[0], '{"a":0,"b":1}', '1.0', '3', String(T0)],
      [ids[2], '{"a":2,"b":1}', '5.0', '3', String(T0 + 2)],
    ]);
    expect(await pendingCount(client, 'acked-src', 'g')).toBe(1);
    await sink.writeDeadLetters([letter(ids[3]!)]);
    expect((await streamEntries(client, 'acked:dead-letters')).map((e) => [e['message_id'], e['error']])).toEqual([[ids[3], 'INVALID_ARGUMENT: the message body is not valid JSON']]);
    expect(await pendingCount(client, 'acked-src', 'g')).toBe(0);
    expect(await client.keys('acked:seen:*')).toEqual([]);
    expect(logged.filter(([event]) => event === 'redis_sink_skipped_acknowledged')).toEqual([
      ['redis_sink_skipped_acknowledged', { stream: 'acked', entries: 2, message_ids: [ids[1], ids[0]] }],
    ]);
    await Promise.all([sink.close(), source.close()]);
  });

  it('acknowledges nothing when its stream is in the way: the message stays pending for the retry', async () => {
    const [id] = await publish(client, 'blocked-src', ['{"a":0}']);
    await client.set('blocked-acked', 'a string, not a stream');
    const source = await openStreamSource(`${redis.url}/blocked-src?group=g&consumer=c`, { claimIdleMs: 60_000 });
    await source.receive(10, 0);
    const sink = await openStreamSink(`${redis.url}/blocked-acked`, { role: 'predictions' });
    linkSinksToSource(source, [sink]);
    await expect(sink.write([record(id!, 0)])).rejects.toThrow(
      `${redis.url}/blocked-acked: appending to stream blocked-acked failed: WRONGTYPE blocked-acked holds a string, not a stream`,
    );
    expect(await pendingCount(client, 'blocked-src', 'g')).toBe(1);
    await client.del('blocked-acked');
    await sink.write([record(id!, 0)]);
    expect((await streamEntries(client, 'blocked-acked')).map((e) => e['message_id'])).toEqual([id]);
    expect(await pendingCount(client, 'blocked-src', 'g')).toBe(0);
    await Promise.all([sink.close(), source.close()]);
  });

  it('keeps its dedup hashes when the source is on another database or server', async () => {
    const source = await openStreamSource(`${redis.url}/elsewhere-src?group=g`, { claimIdleMs: 60_000 });
    const otherDb = await openStreamSink(`${redis.url}/elsewhere?db=1`, { role: 'predictions' });
    const samePlace = await openStreamSink(`${redis.url}/elsewhere`, { role: 'predictions' });
    const otherHost = await openStreamSink(`${redis.url.replace('127.0.0.1', 'localhost')}/elsewhere`, { role: 'predictions' });
    linkSinksToSource(source, [otherDb, otherHost, undefined, samePlace]);
    expect([otherDb.acknowledgesSource, otherHost.acknowledgesSource, samePlace.acknowledgesSource]).toEqual([false, false, true]);
    const [id] = await publish(client, 'elsewhere-src', ['{"a":0}']);
    await source.receive(10, 0);
    await otherHost.write([record(id!, 0)]);
    // Appended and recorded in a dedup hash; the message stays pending for the runner's own XACK.
    expect((await streamEntries(client, 'elsewhere')).map((e) => e['message_id'])).toEqual([id]);
    expect((await Promise.all((await client.keys('elsewhere:seen:*')).map((h) => client.hkeys(h)))).flat()).toEqual([id]);
    expect(await pendingCount(client, 'elsewhere-src', 'g')).toBe(1);
    await Promise.all([otherDb.close(), samePlace.close(), otherHost.close(), source.close()]);
  });

  it('stores values byte for byte in both ways: empty, non-ASCII and NUL-holding values', async () => {
    const letters: DeadLetter[] = [
      { ...letter('1-0'), body: '' },
      { ...letter('2-0'), body: 'caf\u00e9 \u6f22\u5b57 \ud83d\ude00', error: '' },
      { ...letter('3-0'), body: 'a\u0000b', error: 'INVALID_ARGUMENT: x' },
    ];
    const expected = [
      ['1-0', '', letter('1-0').error],
      ['2-0', 'caf\u00e9 \u6f22\u5b57 \ud83d\ude00', ''],
      ['3-0', 'a\u0000b', 'INVALID_ARGUMENT: x'],
    ];
    const hashed = await openStreamSink(`${redis.url}/bytes-hashed`, { role: 'predictions' });
    await hashed.writeDeadLetters(letters);
    await hashed.write([{ ...record('4-0', 4), instance: '{"name":"\u00e9\u6f22"}' }]);
    expect((await streamEntries(client, 'bytes-hashed:dead-letters')).map((e) => [e['message_id'], e['body'], e['error']])).toEqual(expected);
    expect((await streamEntries(client, 'bytes-hashed')).map((e) => e['instance'])).toEqual(['{"name":"\u00e9\u6f22"}']);
    const ids = await publish(client, 'bytes-src', ['x', 'y', 'z']);
    const source = await openStreamSource(`${redis.url}/bytes-src?group=g`, { claimIdleMs: 60_000 });
    await source.receive(10, 0);
    const acking = await openStreamSink(`${redis.url}/bytes-acked`, { role: 'predictions' });
    linkSinksToSource(source, [acking]);
    await acking.writeDeadLetters(letters.map((l, i) => ({ ...l, messageId: ids[i]! })));
    expect((await streamEntries(client, 'bytes-acked:dead-letters')).map((e) => [e['body'], e['error']])).toEqual(expected.map(([, body, error]) => [body, error]));
    expect(await pendingCount(client, 'bytes-src', 'g')).toBe(0);
    await Promise.all([hashed.close(), acking.close(), source.close()]);
  });

  it('rejects unknown parameters and a missing stream name', async () => {
    await expect(openStreamSink(`${redis.url}/x?ttl=5`, { role: 'predictions' })).rejects.toThrow(
      `${redis.url}/x?ttl=5: unknown parameter "ttl" for a Redis stream sink (known: db, dedup-ttl-ms)`,
    );
    await expect(openStreamSink(`${redis.url}/`, { role: 'predictions' })).rejects.toThrow(`${redis.url}/: name the stream in the path: redis://host:port/STREAM`);
    await expect(openStreamSource(`${redis.url}/x?grup=g`, { claimIdleMs: 1000 })).rejects.toThrow(
      `${redis.url}/x?grup=g: unknown parameter "grup" for a Redis stream source (known: db, group, consumer, claim-idle-ms)`,
    );
  });

  it('fails at the start, clearly, when Redis is not there', async () => {
    await expect(openStreamSink('redis://127.0.0.1:1/x', { role: 'predictions' })).rejects.toThrow('redis://127.0.0.1:1/x: cannot connect to Redis at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('stdout sink', () => {
  it('prints one JSON line per message, skips a repeat of a remembered id, and prints dead letters with their error', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const sink = new StdoutSink(out, 3);
    // Written in this process: the runner sends the windows in flight in one write.
    expect(sink.inProcess).toBe(true);
    await writeTwice(sink);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      ...EXPECTED_ROWS.map((r) => ({
        message_id: r.message_id,
        instance: { a: Number(r.message_id[0]), b: 1 },
        prediction: 2 * Number(r.message_id[0]) + 1,
        model_name: 'weighted',
        model_version: 3,
        event_time_ms: r.event_ms,
        prediction_time_ms: r.prediction_ms,
      })),
      { message_id: '9-0', body: 'not json', error: 'INVALID_ARGUMENT: the message body is not valid JSON', deliveries: 2, event_time_ms: T0, failed_time_ms: T0 + 50 },
      { message_id: '8-0', body: 'not json', error: 'UNAVAILABLE: down', deliveries: 2, event_time_ms: T0, failed_time_ms: T0 + 50 },
    ]);
    // Only the last 3 ids are remembered: 1-0 was forgotten, so a redelivery prints it again.
    text = '';
    await sink.write([record('1-0', 1), record('4-0', 4)]);
    expect(text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { message_id: string }).message_id)).toEqual(['1-0']);
  });
});

describe('endpoints', () => {
  it('names the supported schemes when a sink or source URL is not one', async () => {
    const sinks = SINK_SCHEMES.map((s) => (s === 'stdout' ? s : `${s}://`)).join(', ');
    await expect(openStreamSink('mysql://host/db?table=t', { role: 'predictions' })).rejects.toThrow(`mysql:// is not a supported stream sink; supported: ${sinks}`);
    expect(sinks).toContain('postgres://, duckdb://, redis://');
    await expect(openStreamSource('amqp://host/q', { claimIdleMs: 1000 })).rejects.toThrow(/^amqp:\/\/ is not a supported stream source; supported: .*redis:\/\//);
  });
});
