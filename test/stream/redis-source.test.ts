// The Redis Streams source against a real redis-server: group creation, bodies and event times, acknowledgement,
// a restarted consumer resuming its own pending entries, taking over a dead consumer's entries (XPENDING IDLE,
// XCLAIM), deleted entries.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamSource } from '../../src/pipeline/stream/redis-stream-source.js';
import type { StreamMessage } from '../../src/pipeline/stream/stream-contracts.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { pendingCount, publish } from './support.js';

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  client = redis.client();
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const text = (m: StreamMessage): string => Buffer.from(m.body).toString();

async function open(url: string, claimIdleMs = 30_000): Promise<RedisStreamSource> {
  return RedisStreamSource.open(url, { claimIdleMs });
}

describe('Redis stream source', () => {
  it('creates the group at the start of the stream, hands out field "data" with the entry id and its time, and XACKs', async () => {
    const ids = await publish(client, 's1', ['{"a":1}', '{"a":2}', '{"a":3}']);
    const source = await open(`${redis.url}/s1?group=g&consumer=c`);
    expect(source.display).toBe(`${redis.url}/s1?group=g&consumer=c`);
    const first = await source.receive(2, 100);
    expect(first.map((m) => [m.id, text(m), m.eventTimeMs, m.deliveries])).toEqual([
      [ids[0], '{"a":1}', Number(ids[0]!.split('-')[0]), 1],
      [ids[1], '{"a":2}', Number(ids[1]!.split('-')[0]), 1],
    ]);
    expect(await pendingCount(client, 's1', 'g')).toBe(2);
    await source.ack(first);
    expect(await pendingCount(client, 's1', 'g')).toBe(0);
    expect((await source.receive(10, 100)).map((m) => m.id)).toEqual([ids[2]]);
    // A zero wait is a plain read, not BLOCK 0 (which would wait forever).
    const started = Date.now();
    expect(await source.receive(10, 0)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    await source.close();
  });

  it('makes the group and the stream when neither exists, and waits up to waitMs for a first message', async () => {
    const source = await open(`${redis.url}/fresh?group=g`);
    expect(await client.exists('fresh')).toBe(1);
    const started = Date.now();
    expect(await source.receive(5, 200)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    setTimeout(() => void client.xadd('fresh', '*', 'data', '{"late":true}'), 50);
    const [late] = await source.receive(5, 2000);
    expect(text(late!)).toBe('{"late":true}');
    await source.close();
  });

  it("takes the event time from an id the producer chose, digit by digit", async () => {
    await client.xadd('s-ids', '1795000000123-42', 'data', '{"a":1}');
    await client.xadd('s-ids', '9007199254740-0', 'data', '{"a":2}');
    const source = await open(`${redis.url}/s-ids?group=g&consumer=c`);
    expect((await source.receive(10, 100)).map((m) => [m.id, m.eventTimeMs])).toEqual([
      ['1795000000123-42', 1795000000123],
      ['9007199254740-0', 9007199254740],
    ]);
    await source.close();
  });

  it('resumes its own unacknowledged entries first when a consumer of the same name restarts (deliveries 2)', async () => {
    const ids = await publish(client, 's2', ['{"n":1}', '{"n":2}', '{"n":3}']);
    const before = await open(`${redis.url}/s2?group=g&consumer=stable`);
    expect(await before.receive(2, 100)).toHaveLength(2);
    await before.close();
    const after = await open(`${redis.url}/s2?group=g&consumer=stable`);
    const resumed = await after.receive(10, 100);
    expect(resumed.map((m) => [m.id, m.deliveries])).toEqual([
      [ids[0], 2],
      [ids[1], 2],
    ]);
    expect((await after.receive(10, 100)).map((m) => [m.id, m.deliveries])).toEqual([[ids[2], 1]]);
    await after.ack([...resumed]);
    await after.close();
  });

  it('takes over a dead consumer\'s entries once they are idle longer than claim-idle-ms (XPENDING IDLE, XCLAIM), counting deliveries', async () => {
    const ids = await publish(client, 's3', ['{"n":1}', '{"n":2}']);
    const dead = await open(`${redis.url}/s3?group=g&consumer=dead`);
    expect(await dead.receive(10, 100)).toHaveLength(2);
    await dead.close();
    const alive = await open(`${redis.url}/s3?group=g&consumer=alive&claim-idle-ms=300`);
    expect(alive.claimIdleMs).toBe(300);
    // Not idle long enough yet: nothing to claim, nothing new.
    expect(await alive.receive(10, 50)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const claimed = await alive.receive(10, 50);
    expect(claimed.map((m) => [m.id, text(m), m.deliveries])).toEqual([
      [ids[0], '{"n":1}', 2],
      [ids[1], '{"n":2}', 2],
    ]);
    const owners = (await client.xpending('s3', 'g', '-', '+', 10)) as Array<[string, string, number, number]>;
    expect(owners.map(([id, consumer]) => [id, consumer])).toEqual([
      [ids[0], 'alive'],
      [ids[1], 'alive'],
    ]);
    await alive.ack(claimed);
    expect(await pendingCount(client, 's3', 'g')).toBe(0);
    await alive.close();
  });

  it('does not hand out again entries it is still working on when they outlive claim-idle-ms', async () => {
    await publish(client, 's4', ['{"n":1}']);
    const source = await open(`${redis.url}/s4?group=g&consumer=slow&claim-idle-ms=100`);
    const [message] = await source.receive(10, 50);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await source.receive(10, 50)).toEqual([]);
    await source.ack([message!]);
    await source.close();
  });

  it('pages past the idle entries it is still working on to the ones a dead consumer left behind them', async () => {
    const ids = await publish(client, 's6', ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']);
    const busy = await open(`${redis.url}/s6?group=g&consumer=busy&claim-idle-ms=100`);
    expect((await busy.receive(3, 50)).map((m) => m.id)).toEqual(ids.slice(0, 3));
    const dead = await open(`${redis.url}/s6?group=g&consumer=dead`);
    expect((await dead.receive(2, 50)).map((m) => m.id)).toEqual(ids.slice(3));
    await dead.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Pages of two: the first holds only its own entries, the second one of its own and the dead consumer's first.
    expect(await busy.receive(2, 0)).toEqual([]);
    expect((await busy.receive(2, 0)).map((m) => [m.id, m.deliveries])).toEqual([[ids[3], 2]]);
    expect((await busy.receive(2, 0)).map((m) => [m.id, m.deliveries])).toEqual([[ids[4], 2]]);
    const owners = (await client.xpending('s6', 'g', '-', '+', 10)) as Array<[string, string, number, number]>;
    expect(owners.map(([, consumer]) => consumer)).toEqual(['busy', 'busy', 'busy', 'busy', 'busy']);
    await busy.close();
  });

  it('acknowledges and skips pending entries that were deleted from the stream', async () => {
    const ids = await publish(client, 's5', ['{"n":1}', '{"n":2}']);
    const before = await open(`${redis.url}/s5?group=g&consumer=c`);
    expect(await before.receive(10, 50)).toHaveLength(2);
    await before.close();
    await client.xdel('s5', ids[0]!);
    const after = await open(`${redis.url}/s5?group=g&consumer=c`);
    expect((await after.receive(10, 50)).map((m) => m.id)).toEqual([ids[1]]);
    expect(await pendingCount(client, 's5', 'g')).toBe(1);
    await after.close();
  });

  it('rejects a claim-idle-ms that is not a positive whole number', async () => {
    await expect(open(`${redis.url}/s6?claim-idle-ms=soon`)).rejects.toThrow(`${redis.url}/s6?claim-idle-ms=soon: claim-idle-ms must be a whole number of at least 1, got "soon"`);
  });
});
