// The stream runner against a real redis-server: windows by size and by time, dead letters with their exact
// errors, transient model and sink failures retried (and dead-lettered after --max-attempts), backpressure.
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServingError } from '../../src/errors/serving-error.js';
import type { Predictor } from '../../src/serving/predictor.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { acknowledgedCount, duckRows, instances, pendingCount, publish, startWorker, streamEntries, tempDir, writeWeightedSumModel } from './support.js';

let redis: RedisServer;
let client: Redis;
let dir: { path: string; dispose(): Promise<void> };
let model: string;
let streamNo = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  client = redis.client();
  dir = await tempDir();
  model = await writeWeightedSumModel(join(dir.path, 'models'));
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  await dir?.dispose();
});

/** A fresh stream name and the source URL of a group on it. */
function freshStream(): { stream: string; source: string } {
  const stream = `in-${++streamNo}`;
  return { stream, source: `${redis.url}/${stream}?group=g&consumer=c1` };
}

describe('windows', () => {
  it('predicts per element (window size 1): one window, one row per message, exact predictions', async () => {
    const { stream, source } = freshStream();
    await publish(client, stream, instances(20));
    const db = join(dir.path, 'per-element.db');
    const worker = await startWorker({ source, sink: `duckdb://${db}?table=preds`, model, windowSize: 1, idleExitMs: 300 });
    const summary = await worker.done;
    expect(summary).toMatchObject({ received: 20, predicted: 20, deadLettered: 0, retries: 0, acked: 20, windows: 20, reason: 'idle' });
    const rows = await duckRows(db, 'SELECT message_id, instance, prediction, model_name, model_version FROM preds ORDER BY CAST(prediction AS DOUBLE)');
    expect(rows.map((r) => Number(r['prediction']))).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    expect(rows[3]).toMatchObject({ instance: '{"a":3,"b":1}', model_name: 'weighted', model_version: 1n });
    expect(await pendingCount(client, stream, 'g')).toBe(0);
  });

  it('micro-batches by size: 40 queued messages in windows of 16 are 3 windows (16, 16, then 8 when window_ms passes)', async () => {
    const { stream, source } = freshStream();
    const ids = await publish(client, stream, instances(40));
    const db = join(dir.path, 'batched.db');
    const worker = await startWorker({ source, sink: `duckdb://${db}?table=preds`, model, windowSize: 16, windowMs: 50, maxInFlight: 4, idleExitMs: 300 });
    const summary = await worker.done;
    expect(summary).toMatchObject({ received: 40, predicted: 40, acked: 40, windows: 3 });
    const rows = await duckRows(db, 'SELECT message_id, prediction FROM preds ORDER BY CAST(prediction AS DOUBLE)');
    expect(rows.map((r) => r['message_id'])).toEqual(ids);
    expect(rows.map((r) => Number(r['prediction']))).toEqual(Array.from({ length: 40 }, (_, i) => 2 * i + 1));
  });

  it('reads ahead at least one window, so a read-ahead below the window size cannot stall a partial window', async () => {
    const { stream, source } = freshStream();
    await publish(client, stream, instances(10));
    const db = join(dir.path, 'small-read-ahead.db');
    const worker = await startWorker({ source, sink: `duckdb://${db}?table=preds`, model, windowSize: 8, windowMs: 50, readAhead: 3, idleExitMs: 300 });
    expect(await worker.done).toMatchObject({ received: 10, predicted: 10, windows: 2 });
  });

  it('micro-batches by time: a trickle of 5 messages makes one window that waited window_ms for more', async () => {
    const { stream, source } = freshStream();
    const db = join(dir.path, 'timed.db');
    const worker = await startWorker({ source, sink: `duckdb://${db}?table=preds`, model, windowSize: 100, windowMs: 300 });
    await publish(client, stream, instances(5));
    // Waits on the broker, not on the table: a second DuckDB connection polling the file while the worker
    // commits to it has hung this process. A message is acknowledged only once its row is stored.
    await waitFor(async () => (await acknowledgedCount(client, stream, 'g')) === 5);
    const summary = await worker.stop();
    expect(summary).toMatchObject({ received: 5, predicted: 5, windows: 1 });
    // The window opened when its first message arrived, after it was published, so every latency covers window_ms.
    const [latency] = await duckRows(db, 'SELECT min(epoch_ms(prediction_time) - epoch_ms(event_time)) AS min_ms FROM preds');
    expect(Number(latency!['min_ms'])).toBeGreaterThanOrEqual(300);
  });
});

describe('dead letters', () => {
  it('sends undecodable and wrongly shaped messages to the dead letters with their exact errors, and predicts the rest', async () => {
    const { stream, source } = freshStream();
    const bodies = ['{"a":1,"b":2}', 'not json', '{"a":1}', '{"a":"x","b":2}', '[1,2]', '', '{"a":1,"b":2,"c":3}', '{"a":2,"b":2}'];
    const ids = await publish(client, stream, bodies);
    await client.xadd(stream, '*', 'payload', '{"a":1,"b":2}');
    const out = `out-${streamNo}`;
    const worker = await startWorker({ source, sink: `${redis.url}/${out}`, model, windowSize: 8, windowMs: 20, idleExitMs: 300 });
    const summary = await worker.done;
    expect(summary).toMatchObject({ received: 9, predicted: 2, deadLettered: 7, acked: 9 });
    expect((await streamEntries(client, out)).map((e) => [e['message_id'], e['prediction']])).toEqual([
      [ids[0], '4.0'],
      [ids[7], '6.0'],
    ]);
    const letters = await streamEntries(client, `${out}:dead-letters`);
    const byId = new Map(letters.map((l) => [l['message_id'], l]));
    const error = (i: number): string | undefined => byId.get(ids[i])?.['error'];
    expect(error(1)).toBe(`INVALID_ARGUMENT: the message body is not valid JSON: Unexpected token 'o', "not json" is not valid JSON`);
    expect(error(2)).toBe('INVALID_ARGUMENT: no value for input "b"');
    expect(error(3)).toBe('INVALID_ARGUMENT: field "a": expected a number (DT_FLOAT), got the string "x"');
    expect(error(4)).toBe('INVALID_ARGUMENT: signature serving_default has 2 inputs (a, b), so an instance must be an object with one field per input; got an array of 2');
    expect(error(5)).toBe('INVALID_ARGUMENT: the message body is empty (expected one JSON instance)');
    expect(error(6)).toBe(
      'INVALID_ARGUMENT: field "c" is not an input of signature serving_default (inputs: a, b); leave it out with --excluded_fields or pick inputs with --included_fields',
    );
    expect(letters).toHaveLength(7);
    const noData = letters.find((l) => !ids.includes(l['message_id']!))!;
    expect(noData['error']).toBe('INVALID_ARGUMENT: the message body is empty (expected one JSON instance)');
    expect(byId.get(ids[1])).toMatchObject({ body: 'not json', deliveries: '1', event_time_ms: ids[1]!.split('-')[0] });
    expect(await pendingCount(client, stream, 'g')).toBe(0);
  });

  it('sends dead letters to --dead-letter when given, and shapes with --excluded_fields', async () => {
    const { stream, source } = freshStream();
    const ids = await publish(client, stream, ['{"a":1,"b":2,"id":"x"}', '{"a":1}']);
    const db = join(dir.path, 'dead-elsewhere.db');
    const worker = await startWorker({
      source,
      sink: `duckdb://${db}?table=preds`,
      deadLetter: `${redis.url}/rejected-${streamNo}`,
      model,
      shaping: { excludedFields: ['id'] },
      idleExitMs: 300,
    });
    expect(await worker.done).toMatchObject({ predicted: 1, deadLettered: 1 });
    expect(await duckRows(db, 'SELECT message_id, instance, prediction FROM preds')).toEqual([{ message_id: ids[0], instance: '{"a":1,"b":2}', prediction: '4.0' }]);
    expect((await streamEntries(client, `rejected-${streamNo}`)).map((l) => [l['message_id'], l['error']])).toEqual([[ids[1], 'INVALID_ARGUMENT: no value for input "b"']]);
  });
});

/** A predictor that fails its first `failures` calls with `code`, then calls the real one. */
function failingPredictor(failures: number, code: 'UNAVAILABLE' | 'INVALID_ARGUMENT' = 'UNAVAILABLE'): { wrap: (p: Predictor) => Predictor; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    wrap: (predictor) =>
      new Proxy(predictor, {
        get(target, name, receiver) {
          if (name !== 'predict') return Reflect.get(target, name, receiver) as unknown;
          return async (...args: Parameters<Predictor['predict']>) => {
            if (++calls <= failures) throw new ServingError(code, `model server overloaded (call ${calls})`);
            return target.predict(...args);
          };
        },
      }),
  };
}

describe('poison messages', () => {
  it('dead-letters, unread, a message delivered more often than --max-attempts without an acknowledgement', async () => {
    const { stream } = freshStream();
    const [id] = await publish(client, stream, instances(1));
    await client.xgroup('CREATE', stream, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'crashed', 'COUNT', 1, 'STREAMS', stream, '>');
    // Two more deliveries to workers that died on it (XCLAIM counts one each).
    for (const consumer of ['crashed-again', 'crashed-once-more']) await client.xclaim(stream, 'g', consumer, 0, id!);
    const out = `out-${streamNo}`;
    const worker = await startWorker({ source: `${redis.url}/${stream}?group=g&consumer=c1&claim-idle-ms=1`, sink: `${redis.url}/${out}`, model, maxAttempts: 2, idleExitMs: 300 });
    expect(await worker.done).toMatchObject({ received: 1, predicted: 0, deadLettered: 1, acked: 1 });
    expect(await streamEntries(client, `${out}:dead-letters`)).toEqual([
      expect.objectContaining({ message_id: id, error: 'ABORTED: delivered 4 times without being acknowledged, more than --max-attempts 2', deliveries: '4' }),
    ]);
  });
});

describe('transient failures', () => {
  it('retries a model that is unavailable for a while: every message predicted once, retries counted', async () => {
    const { stream, source } = freshStream();
    await publish(client, stream, instances(4));
    const out = `out-${streamNo}`;
    const failing = failingPredictor(2);
    const worker = await startWorker({ source, sink: `${redis.url}/${out}`, model, windowSize: 4, windowMs: 20, idleExitMs: 300, wrapPredictor: failing.wrap });
    expect(await worker.done).toMatchObject({ received: 4, predicted: 4, deadLettered: 0, retries: 8 });
    expect(failing.calls()).toBe(3);
    expect((await streamEntries(client, out)).map((e) => Number(e['prediction']))).toEqual([1, 3, 5, 7]);
  });

  it('dead-letters a message after --max-attempts transient failures, with the last error and its attempts', async () => {
    const { stream, source } = freshStream();
    const [id] = await publish(client, stream, instances(1));
    const out = `out-${streamNo}`;
    const failing = failingPredictor(1000);
    const worker = await startWorker({ source, sink: `${redis.url}/${out}`, model, maxAttempts: 3, idleExitMs: 300, wrapPredictor: failing.wrap });
    expect(await worker.done).toMatchObject({ received: 1, predicted: 0, deadLettered: 1, retries: 2, acked: 1 });
    expect(failing.calls()).toBe(3);
    expect(await streamEntries(client, `${out}:dead-letters`)).toEqual([
      expect.objectContaining({ message_id: id, error: 'UNAVAILABLE: model server overloaded (call 3)', deliveries: '3' }),
    ]);
  });

  it('does not retry a model that rejects an instance (INVALID_ARGUMENT): dead letter at once', async () => {
    const { stream, source } = freshStream();
    await publish(client, stream, instances(1));
    const out = `out-${streamNo}`;
    const failing = failingPredictor(1, 'INVALID_ARGUMENT');
    const worker = await startWorker({ source, sink: `${redis.url}/${out}`, model, idleExitMs: 300, wrapPredictor: failing.wrap });
    expect(await worker.done).toMatchObject({ predicted: 0, deadLettered: 1, retries: 0 });
    expect((await streamEntries(client, `${out}:dead-letters`))[0]!['error']).toBe('INVALID_ARGUMENT: model server overloaded (call 1)');
  });

  it('retries a failing sink write without losing or doubling a message, and reads nothing more while the windows in flight are stuck', async () => {
    const { stream, source } = freshStream();
    const out = `out-${streamNo}`;
    // The sink's stream key holds a string: every XADD fails (WRONGTYPE) until it is deleted.
    await client.set(out, 'in the way');
    await publish(client, stream, instances(50));
    const worker = await startWorker({ source, sink: `${redis.url}/${out}`, model, windowSize: 1, maxInFlight: 2, readAhead: 2, maxAttempts: 1000, backoff: { initialMs: 20, maxMs: 40 } });
    await waitFor(async () => worker.runner.stopping || (await pendingCount(client, stream, 'g')) === 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Backpressure: two windows of one message in flight, two more messages read ahead, nothing else read.
    expect(await pendingCount(client, stream, 'g')).toBe(4);
    const pending = (await client.xpending(stream, 'g', '-', '+', 10)) as Array<[string, string, number, number]>;
    expect(pending.map(([, consumer, , deliveries]) => [consumer, deliveries])).toEqual(Array.from({ length: 4 }, () => ['c1', 1]));
    await client.del(out);
    await waitFor(async () => (await client.xlen(out)) === 50);
    const summary = await worker.stop();
    expect(summary.predicted).toBe(50);
    expect(summary.retries).toBeGreaterThan(2);
    expect(summary.deadLettered).toBe(0);
    const entries = await streamEntries(client, out);
    expect(new Set(entries.map((e) => e['message_id'])).size).toBe(50);
    expect(entries.map((e) => Number(e['prediction'])).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    expect(await pendingCount(client, stream, 'g')).toBe(0);
  });

  it('dead-letters the messages of a sink that keeps failing after --max-attempts, with the sink error', async () => {
    const { stream, source } = freshStream();
    const out = `out-${streamNo}`;
    await client.set(out, 'in the way');
    const [id] = await publish(client, stream, instances(1));
    const worker = await startWorker({ source, sink: `${redis.url}/${out}`, model, maxAttempts: 2, idleExitMs: 300 });
    expect(await worker.done).toMatchObject({ predicted: 0, deadLettered: 1, retries: 1 });
    const [letter] = await streamEntries(client, `${out}:dead-letters`);
    expect(letter).toMatchObject({ message_id: id, deliveries: '2' });
    expect(letter!['error']).toMatch(
      new RegExp(`^UNAVAILABLE: sink ${redis.url}/${out} did not store 1 records: ${redis.url}/${out}: appending to stream ${out} failed: .*WRONGTYPE`),
    );
  });
});
