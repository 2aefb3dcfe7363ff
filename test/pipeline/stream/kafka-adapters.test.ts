// Kafka adapter: offset bookkeeping, the receive queue and URL parsing need no broker and always run; the
// round trip through a real broker runs when KAFKA_BROKERS (e.g. 127.0.0.1:9092) names one.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { AckedPrefixOffsets } from '../../../src/pipeline/stream/kafka-offsets.js';
import { KafkaReceiveQueue } from '../../../src/pipeline/stream/kafka-receive-queue.js';
import { KafkaSource, parseKafkaSourceUrl } from '../../../src/pipeline/stream/kafka-source.js';
import { KafkaSink, parseKafkaSinkUrl } from '../../../src/pipeline/stream/kafka-sink.js';
import { KafkaPublisher } from '../../../src/pipeline/stream/kafka-publisher.js';
import { kafkaClient } from '../../../src/pipeline/stream/kafka-client.js';
import { parseBrokerUrl } from '../../../src/pipeline/stream/broker-url.js';
import type { PredictionRecord, StreamMessage } from '../../../src/pipeline/stream/stream-contracts.js';

const text = (m: StreamMessage): string => new TextDecoder().decode(m.body);
const fetched = (offset: number, value: string | null = `{"o":${offset}}`) => ({
  offset: String(offset),
  value: value === null ? null : Buffer.from(value),
  timestamp: String(1_700_000_000_000 + offset),
});

describe('AckedPrefixOffsets', () => {
  it('commits only the end of the contiguous acknowledged prefix of each partition', () => {
    const offsets = new AckedPrefixOffsets();
    for (const o of [10, 11, 12, 13]) offsets.delivered(0, String(o));
    for (const o of [5, 6]) offsets.delivered(1, String(o));
    expect(offsets.commitPoints()).toEqual([]);
    expect(offsets.acked(0, '11')).toBe(true);
    expect(offsets.acked(0, '12')).toBe(true);
    // 10 is still out: nothing may be committed on partition 0.
    expect(offsets.commitPoints()).toEqual([]);
    expect(offsets.acked(1, '5')).toBe(true);
    expect(offsets.commitPoints()).toEqual([{ partition: 1, offset: '6' }]);
    offsets.markCommitted([{ partition: 1, offset: '6' }]);
    expect(offsets.commitPoints()).toEqual([]);
    expect(offsets.acked(0, '10')).toBe(true);
    expect(offsets.commitPoints()).toEqual([{ partition: 0, offset: '13' }]);
    expect(offsets.acked(0, '13')).toBe(true);
    expect(offsets.acked(1, '6')).toBe(true);
    expect(offsets.commitPoints()).toEqual([
      { partition: 0, offset: '14' },
      { partition: 1, offset: '7' },
    ]);
    expect(offsets.unacknowledged).toBe(0);
  });

  it('skips offset gaps, ignores repeats and unknown acks, keeps int64 offsets exact, and forgets on rebalance', () => {
    const offsets = new AckedPrefixOffsets();
    expect(offsets.delivered(2, '100')).toBe(true);
    expect(offsets.delivered(2, '103')).toBe(true); // 101–102: transaction markers, never delivered
    expect(offsets.delivered(2, '103')).toBe(false);
    expect(offsets.delivered(2, '90')).toBe(false);
    expect(offsets.acked(2, '101')).toBe(false);
    expect(offsets.acked(2, '100')).toBe(true);
    expect(offsets.acked(2, '100')).toBe(false);
    expect(offsets.commitPoints()).toEqual([{ partition: 2, offset: '103' }]);
    expect(offsets.acked(2, '103')).toBe(true);
    expect(offsets.commitPoints()).toEqual([{ partition: 2, offset: '104' }]);
    expect(offsets.delivered(3, '9007199254740993')).toBe(true);
    expect(offsets.acked(3, '9007199254740993')).toBe(true);
    expect(offsets.commitPoints()).toContainEqual({ partition: 3, offset: '9007199254740994' });
    offsets.forget();
    expect(offsets.commitPoints()).toEqual([]);
    expect(offsets.acked(2, '103')).toBe(false);
    // After a rebalance the group re-reads from the commit: the same offsets count again.
    expect(offsets.delivered(2, '103')).toBe(true);
  });

  it('stays correct over a long partition acknowledged out of order', () => {
    const offsets = new AckedPrefixOffsets();
    for (let o = 0; o < 5000; o++) offsets.delivered(0, String(o));
    for (let o = 4999; o >= 1; o--) offsets.acked(0, String(o));
    expect(offsets.commitPoints()).toEqual([]);
    offsets.acked(0, '0');
    expect(offsets.commitPoints()).toEqual([{ partition: 0, offset: '5000' }]);
    for (let o = 5000; o < 8000; o++) offsets.delivered(0, String(o));
    for (let o = 5000; o < 7000; o++) offsets.acked(0, String(o));
    expect(offsets.commitPoints()).toEqual([{ partition: 0, offset: '7000' }]);
  });
});

describe('KafkaReceiveQueue', () => {
  it('hands out TOPIC:partition:offset ids, timestamps and values; commits follow acknowledgements', async () => {
    const queue = new KafkaReceiveQueue('events', { capacity: 10, ackWaitMs: 60_000 });
    const g = queue.generation;
    queue.add(0, fetched(7), g);
    queue.add(1, fetched(3), g);
    queue.add(0, fetched(8, null), g);
    const got = await queue.take(10, 0);
    expect(got.map((m) => [m.id, text(m), m.eventTimeMs, m.deliveries])).toEqual([
      ['events:0:7', '{"o":7}', 1_700_000_000_007, 1],
      ['events:1:3', '{"o":3}', 1_700_000_000_003, 1],
      ['events:0:8', '', 1_700_000_000_008, 1],
    ]);
    expect(queue.acknowledge([got[2]!, got[1]!])).toEqual([{ partition: 1, offset: '4' }]);
    queue.markCommitted([{ partition: 1, offset: '4' }], g);
    expect(queue.acknowledge([got[0]!])).toEqual([{ partition: 0, offset: '9' }]);
  });

  it('is full at capacity until messages are taken, and waits at most waitMs for the first message', async () => {
    const queue = new KafkaReceiveQueue('t', { capacity: 2, ackWaitMs: 60_000 });
    const g = queue.generation;
    queue.add(0, fetched(1), g);
    queue.add(0, fetched(2), g);
    expect(queue.full).toBe(true);
    const space = queue.waitForSpace(5000);
    expect((await queue.take(1, 0)).map((m) => m.id)).toEqual(['t:0:1']);
    await space;
    expect(queue.full).toBe(false);
    expect((await queue.take(5, 0)).map((m) => m.id)).toEqual(['t:0:2']);
    let start = Date.now();
    expect(await queue.take(5, 200)).toEqual([]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(195);
    start = Date.now();
    setTimeout(() => queue.add(0, fetched(3), g), 50);
    expect((await queue.take(5, 5000)).map((m) => m.id)).toEqual(['t:0:3']);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('hands an unacknowledged message out again after ackWaitMs with deliveries 2; its ack then commits', async () => {
    const queue = new KafkaReceiveQueue('t', { capacity: 10, ackWaitMs: 150 });
    queue.add(0, fetched(0), queue.generation);
    const first = await queue.take(10, 0);
    expect(first.map((m) => [m.id, m.deliveries])).toEqual([['t:0:0', 1]]);
    const again = await queue.take(10, 2000);
    expect(again.map((m) => [m.id, text(m), m.deliveries])).toEqual([['t:0:0', '{"o":0}', 2]]);
    expect(queue.acknowledge(again)).toEqual([{ partition: 0, offset: '1' }]);
    expect(queue.depth).toEqual({ waiting: 0, unacknowledged: 0 });
  });

  it('after a rebalance drops what it held, ignores acks and batches from before, and counts re-read offsets again', async () => {
    const queue = new KafkaReceiveQueue('t', { capacity: 10, ackWaitMs: 60_000 });
    const before = queue.generation;
    queue.add(0, fetched(0), before);
    queue.add(0, fetched(1), before);
    const held = await queue.take(1, 0);
    queue.rebalanced();
    expect(queue.depth).toEqual({ waiting: 0, unacknowledged: 0 });
    expect(queue.acknowledge(held)).toEqual([]);
    expect(queue.add(0, fetched(2), before)).toBe(false);
    expect(queue.add(0, fetched(0), queue.generation)).toBe(true);
    const reread = await queue.take(10, 0);
    expect(reread.map((m) => [m.id, m.deliveries])).toEqual([['t:0:0', 1]]);
    expect(queue.acknowledge(reread)).toEqual([{ partition: 0, offset: '1' }]);
  });
});

describe('kafka:// URLs', () => {
  it('source defaults and parameters', () => {
    const s = parseKafkaSourceUrl('kafka://b1,b2:9093/events?group=scorers&from=latest&ack_wait=10s&buffer=50');
    expect([s.url.hosts, s.topic, s.group, s.fromBeginning, s.ackWaitMs, s.buffer]).toEqual([['b1:9092', 'b2:9093'], 'events', 'scorers', false, 10_000, 50]);
    const d = parseKafkaSourceUrl('kafka://broker/events', 45_000);
    expect([d.group, d.fromBeginning, d.ackWaitMs, d.buffer]).toEqual(['millrace', true, 45_000, 1000]);
  });

  it('sink topics for both roles', () => {
    expect(parseKafkaSinkUrl('kafka://b/out')).toMatchObject({ topic: 'out', deadLetterTopic: 'out.dead' });
    expect(parseKafkaSinkUrl('kafka://b/letters', 'dead-letters')).toMatchObject({ topic: undefined, deadLetterTopic: 'letters' });
  });

  it('errors name the URL (password masked) and what is wrong', () => {
    expect(() => parseKafkaSourceUrl('kafka://b/')).toThrow(
      'kafka://b/: "" is not a Kafka topic name (1–249 of letters, digits, ".", "_", "-"); give it as the path, e.g. kafka://127.0.0.1:9092/events',
    );
    expect(() => parseKafkaSourceUrl('kafka://b/t?from=start')).toThrow('kafka://b/t?from=start: from=start: give earliest or latest');
    expect(() => parseKafkaSourceUrl('kafka://b/t?stream=x')).toThrow('kafka://b/t?stream=x: unknown parameter "stream" (known parameters: ssl, sasl, group, from, ack_wait, buffer)');
    expect(() => parseKafkaSinkUrl('kafka://b/t?group=g')).toThrow('kafka://b/t?group=g: unknown parameter "group" (known parameters: ssl, sasl)');
    expect(() => parseKafkaSourceUrl('kafka://b:99999/t')).toThrow('kafka://b:99999/t: port 99999 of "b:99999" is out of range 1–65535');
    expect(() => kafkaClient(parseBrokerUrl('kafka://u:secret@b/t?sasl=gssapi', 9092))).toThrow(
      'kafka://u:***@b/t?sasl=gssapi: sasl=gssapi: give one of plain, scram-sha-256, scram-sha-512',
    );
    expect(() => kafkaClient(parseBrokerUrl('kafka://b/t?sasl=plain', 9092))).toThrow('kafka://b/t?sasl=plain: sasl=plain needs credentials: kafka://user:password@broker/TOPIC');
  });
});

describe('Kafka unreachable', () => {
  it('opening a source fails with UNAVAILABLE naming the URL and the connection error (after KafkaJS retries)', async () => {
    await expect(KafkaSource.open('kafka://127.0.0.1:1/events')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'kafka://127.0.0.1:1/events: cannot reach Kafka or create topic events: Connection error: connect ECONNREFUSED 127.0.0.1:1',
    });
  }, 60_000);
});

const brokers = process.env.KAFKA_BROKERS;
// The one conditional suite: there is no Kafka broker package to start here, so it runs where one is given.
if (brokers !== undefined && brokers.trim() !== '') {
  describe(`Kafka adapters against the broker at ${brokers}`, () => {
    const record = (id: string, y: number): PredictionRecord => ({
      messageId: id,
      instance: `{"x":${y}}`,
      prediction: `[${y * 2}]`,
      modelName: 'double',
      modelVersion: 1,
      eventTimeMs: 1000 + y,
      predictionTimeMs: 2000 + y,
    });

    async function receiveAll(source: KafkaSource, count: number, ms = 30_000): Promise<StreamMessage[]> {
      const out: StreamMessage[] = [];
      const until = Date.now() + ms;
      while (out.length < count && Date.now() < until) out.push(...(await source.receive(count - out.length, 500)));
      return out;
    }

    it('publishes, consumes in a group, commits acked offsets and re-reads what was left unacked', async () => {
      const topic = `millrace-test-${randomUUID()}`;
      const url = `kafka://${brokers}/${topic}?group=g-${randomUUID()}&ack_wait=60s`;
      const publisher = await KafkaPublisher.open(url);
      await publisher.publish(['{"i":0}', '{"i":1}', '{"i":2}', '{"i":3}']);
      await publisher.close();
      const first = await KafkaSource.open(url);
      let got: StreamMessage[];
      try {
        got = await receiveAll(first, 4);
        expect(got.map(text).sort()).toEqual(['{"i":0}', '{"i":1}', '{"i":2}', '{"i":3}']);
        for (const m of got) expect(m.id).toMatch(new RegExp(`^${topic}:\\d+:\\d+$`));
        // Acknowledge all but one: that one must come back to the next worker of the group.
        await first.ack(got.filter((m) => text(m) !== '{"i":2}'));
      } finally {
        await first.close();
      }
      const second = await KafkaSource.open(url);
      try {
        const again = await receiveAll(second, 1);
        expect(again.map(text)).toContain('{"i":2}');
        await second.ack(again);
        expect(await second.receive(10, 2000)).toEqual([]);
      } finally {
        await second.close();
      }
    }, 120_000);

    it('produces records keyed by message id to TOPIC and dead letters to TOPIC.dead', async () => {
      const topic = `millrace-out-${randomUUID()}`;
      const sink = await KafkaSink.open(`kafka://${brokers}/${topic}`);
      try {
        await sink.write([record('a', 1), record('b', 2)]);
        await sink.writeDeadLetters([{ messageId: 'c', body: 'x', error: 'INVALID_ARGUMENT: no', deliveries: 1, eventTimeMs: 1, failedTimeMs: 2 }]);
      } finally {
        await sink.close();
      }
      const kafka = new Kafka({ clientId: 'millrace-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `read-${randomUUID()}` });
      const seen: { topic: string; key: string; value: unknown }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [topic, `${topic}.dead`], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic: t, message }) => {
          seen.push({ topic: t, key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') });
        },
      });
      const until = Date.now() + 30_000;
      while (seen.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      await consumer.disconnect();
      expect(seen.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { topic, key: 'a', value: { message_id: 'a', instance: { x: 1 }, prediction: [2], model_name: 'double', model_version: 1, event_time_ms: 1001, prediction_time_ms: 2001 } },
        { topic, key: 'b', value: { message_id: 'b', instance: { x: 2 }, prediction: [4], model_name: 'double', model_version: 1, event_time_ms: 1002, prediction_time_ms: 2002 } },
        { topic: `${topic}.dead`, key: 'c', value: { message_id: 'c', body: 'x', error: 'INVALID_ARGUMENT: no', deliveries: 1, event_time_ms: 1, failed_time_ms: 2 } },
      ]);
    }, 120_000);
  });
}
