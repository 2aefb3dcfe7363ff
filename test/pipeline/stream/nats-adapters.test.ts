// The JetStream source and sink against a real nats-server -js started by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { NatsJetStreamSource } from '../../../src/pipeline/stream/nats-source.js';
import { NatsJetStreamSink } from '../../../src/pipeline/stream/nats-sink.js';
import { NatsJetStreamPublisher } from '../../../src/pipeline/stream/nats-publisher.js';
import type { DeadLetter, PredictionRecord, StreamMessage } from '../../../src/pipeline/stream/stream-contracts.js';
import { startNatsServer, type NatsServer } from '../../support/nats-server.js';

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

async function publish(subject: string, bodies: string[]): Promise<void> {
  const js = jetstream(nc);
  for (const body of bodies) await js.publish(subject, body);
}

/** Receives until `count` messages came or `ms` passed. */
async function receiveAll(source: NatsJetStreamSource, count: number, ms = 5000): Promise<StreamMessage[]> {
  const out: StreamMessage[] = [];
  const until = Date.now() + ms;
  while (out.length < count && Date.now() < until) out.push(...(await source.receive(count - out.length, 200)));
  return out;
}

/** Writes as the runner does after a transient sink error: again after a pause, up to 10 times; returns the errors seen. */
async function writeRetryingUnavailable(sink: NatsJetStreamSink, records: PredictionRecord[]): Promise<string[]> {
  const failures: string[] = [];
  for (;;) {
    try {
      await sink.write(records);
      return failures;
    } catch (err) {
      if ((err as { code?: string }).code !== 'UNAVAILABLE' || failures.length >= 9) throw err;
      failures.push((err as Error).message);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

describe('NATS JetStream source', () => {
  it('creates the stream and a durable explicit-ack consumer, and hands out sequence ids, bodies and event times', async () => {
    const source = await NatsJetStreamSource.open(`${server.url}/orders.new?stream=ORDERS&consumer=workers&ack_wait=2s&max_deliver=5`);
    try {
      const before = Date.now();
      await publish('orders.new', ['{"a":1}', '{"a":2}', '{"a":3}']);
      const after = Date.now();
      const got = await receiveAll(source, 3);
      expect(got.map((m) => [m.id, text(m.body), m.deliveries])).toEqual([
        ['1', '{"a":1}', 1],
        ['2', '{"a":2}', 1],
        ['3', '{"a":3}', 1],
      ]);
      for (const m of got) {
        expect(m.eventTimeMs).toBeGreaterThanOrEqual(before - 5);
        expect(m.eventTimeMs).toBeLessThanOrEqual(after + 5);
      }
      const stream = await jsm.streams.info('ORDERS');
      expect(stream.config.subjects).toEqual(['orders.new']);
      const consumer = await jsm.consumers.info('ORDERS', 'workers');
      expect(consumer.config).toMatchObject({ durable_name: 'workers', ack_policy: 'explicit', ack_wait: 2_000_000_000, max_deliver: 5, filter_subject: 'orders.new' });
      expect(consumer.num_ack_pending).toBe(3);
      await source.ack(got);
      expect((await jsm.consumers.info('ORDERS', 'workers')).num_ack_pending).toBe(0);
      // Past ack_wait: nothing comes back once acked.
      await new Promise((r) => setTimeout(r, 2300));
      expect(await source.receive(10, 300)).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('waits at most waitMs for the first message and returns a message published meanwhile at once', async () => {
    const source = await NatsJetStreamSource.open(`${server.url}/waits?consumer=c`);
    try {
      let start = Date.now();
      expect(await source.receive(10, 300)).toEqual([]);
      const waited = Date.now() - start;
      expect(waited).toBeGreaterThanOrEqual(295);
      expect(waited).toBeLessThan(1000);
      start = Date.now();
      setTimeout(() => void publish('waits', ['{"x":1}']), 100);
      const got = await source.receive(10, 5000);
      expect(got.map((m) => text(m.body))).toEqual(['{"x":1}']);
      expect(Date.now() - start).toBeLessThan(1500);
      await source.ack(got);
    } finally {
      await source.close();
    }
  });

  it('redelivers a message left unacked past ack_wait, with deliveries = 2', async () => {
    const source = await NatsJetStreamSource.open(`${server.url}/redo?stream=REDO&consumer=c&ack_wait=1s`);
    try {
      await publish('redo', ['{"n":1}']);
      const first = await receiveAll(source, 1);
      expect(first.map((m) => [m.id, m.deliveries])).toEqual([['1', 1]]);
      const again = await receiveAll(source, 1, 4000);
      expect(again.map((m) => [m.id, text(m.body), m.deliveries])).toEqual([['1', '{"n":1}', 2]]);
      await source.ack(again);
      expect((await jsm.consumers.info('REDO', 'c')).num_ack_pending).toBe(0);
    } finally {
      await source.close();
    }
  });

  it('hands messages a dead worker left unacked to another worker of the same consumer', async () => {
    const url = `${server.url}/shared?stream=SHARED&consumer=group&ack_wait=1s`;
    const dead = await NatsJetStreamSource.open(url);
    await publish('shared', ['{"k":1}', '{"k":2}']);
    const taken = await receiveAll(dead, 2);
    expect(taken.map((m) => m.id)).toEqual(['1', '2']);
    await dead.close(); // without acking: as if the worker had died mid-window
    const live = await NatsJetStreamSource.open(url);
    try {
      const got = await receiveAll(live, 2, 5000);
      expect(got.map((m) => [m.id, m.deliveries])).toEqual([
        ['1', 2],
        ['2', 2],
      ]);
      await live.ack(got);
    } finally {
      await live.close();
    }
  });

  it('applies ack_wait given in the URL to an existing consumer', async () => {
    const first = await NatsJetStreamSource.open(`${server.url}/tuned?consumer=c&ack_wait=5s`);
    await first.close();
    const second = await NatsJetStreamSource.open(`${server.url}/tuned?consumer=c&ack_wait=3s&max_ack_pending=50`);
    await second.close();
    const info = await jsm.consumers.info('tuned', 'c');
    expect([info.config.ack_wait, info.config.max_ack_pending]).toEqual([3_000_000_000, 50]);
  });

  it('refuses bad URLs and a stream that does not capture the subject, naming what is wrong', async () => {
    await expect(NatsJetStreamSource.open(`${server.url}/?stream=S`)).rejects.toThrow(
      `${server.url}/?stream=S: give the subject as the path, e.g. nats://127.0.0.1:4222/events?stream=EVENTS&consumer=millrace (got "")`,
    );
    await expect(NatsJetStreamSource.open(`${server.url}/a?ack_wait=30`)).rejects.toThrow(
      `${server.url}/a?ack_wait=30: ack_wait=30 is not a duration with a unit (e.g. 500ms, 30s, 2m, 1h)`,
    );
    await expect(NatsJetStreamSource.open(`${server.url}/a?group=g`)).rejects.toThrow(
      `${server.url}/a?group=g: unknown parameter "group" (known parameters: stream, consumer, ack_wait, max_deliver, max_ack_pending, buffer, duplicate_window)`,
    );
    await expect(NatsJetStreamSource.open(`${server.url}/a?stream=A.B`)).rejects.toThrow(
      `${server.url}/a?stream=A.B: stream "A.B" may not be empty or contain spaces, ".", "*", ">", "/" or "\\"`,
    );
    await jsm.streams.add({ name: 'OTHER', subjects: ['other.subject'] });
    await expect(NatsJetStreamSource.open(`${server.url}/not.other?stream=OTHER`)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: `${server.url}/not.other?stream=OTHER: stream "OTHER" exists but does not capture subject "not.other" (its subjects: other.subject)`,
    });
    await expect(NatsJetStreamSource.open('nats://user:secret@127.0.0.1:1/x')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^nats:\/\/user:\*\*\*@127\.0\.0\.1:1\/x: cannot connect to NATS: /),
    });
  });
});

const record = (id: string, y: number): PredictionRecord => ({
  messageId: id,
  instance: `{"x":${y}}`,
  prediction: `[${y * 2}]`,
  modelName: 'double',
  modelVersion: 3,
  eventTimeMs: 1_700_000_000_000 + y,
  predictionTimeMs: 1_700_000_000_500 + y,
});

async function storedMessages(stream: string): Promise<{ subject: string; msgId: string | undefined; json: unknown }[]> {
  const info = await jsm.streams.info(stream);
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m === null) continue;
    out.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), json: JSON.parse(text(m.data)) as unknown });
  }
  return out;
}

describe('NATS JetStream sink', () => {
  it('publishes each record once with Nats-Msg-Id = message id; a republished id is not stored again', async () => {
    const sink = await NatsJetStreamSink.open(`${server.url}/scored`);
    try {
      await sink.write([record('7', 1), record('8', 2)]);
      await sink.write([record('8', 2), record('7', 1), record('9', 3)]);
      expect(sink.duplicatesSkipped).toBe(2);
      const stream = await jsm.streams.info('scored');
      expect(stream.config.subjects).toEqual(['scored', 'scored.dead']);
      expect(stream.state.messages).toBe(3);
      expect(await storedMessages('scored')).toEqual([
        { subject: 'scored', msgId: '7', json: { message_id: '7', instance: { x: 1 }, prediction: [2], model_name: 'double', model_version: 3, event_time_ms: 1_700_000_000_001, prediction_time_ms: 1_700_000_000_501 } },
        { subject: 'scored', msgId: '8', json: { message_id: '8', instance: { x: 2 }, prediction: [4], model_name: 'double', model_version: 3, event_time_ms: 1_700_000_000_002, prediction_time_ms: 1_700_000_000_502 } },
        { subject: 'scored', msgId: '9', json: { message_id: '9', instance: { x: 3 }, prediction: [6], model_name: 'double', model_version: 3, event_time_ms: 1_700_000_000_003, prediction_time_ms: 1_700_000_000_503 } },
      ]);
    } finally {
      await sink.close();
    }
  });

  it('writes dead letters to SUBJECT.dead, once per message id, beside a prediction of the same id', async () => {
    const sink = await NatsJetStreamSink.open(`${server.url}/graded?stream=GRADED`);
    const letter: DeadLetter = { messageId: '4', body: 'not json', error: 'INVALID_ARGUMENT: line 1: not JSON', deliveries: 3, eventTimeMs: 10, failedTimeMs: 20 };
    try {
      await sink.writeDeadLetters([letter]);
      await sink.writeDeadLetters([letter]);
      await sink.write([record('4', 5)]);
      expect(await storedMessages('GRADED')).toEqual([
        { subject: 'graded.dead', msgId: 'dead:4', json: { message_id: '4', body: 'not json', error: 'INVALID_ARGUMENT: line 1: not JSON', deliveries: 3, event_time_ms: 10, failed_time_ms: 20 } },
        { subject: 'graded', msgId: '4', json: { message_id: '4', instance: { x: 5 }, prediction: [10], model_name: 'double', model_version: 3, event_time_ms: 1_700_000_000_005, prediction_time_ms: 1_700_000_000_505 } },
      ]);
    } finally {
      await sink.close();
    }
  });

  it('creates a dead-letter stream beside an existing stream that captures only SUBJECT', async () => {
    await jsm.streams.add({ name: 'ONLYMAIN', subjects: ['main.out'] });
    const sink = await NatsJetStreamSink.open(`${server.url}/main.out?stream=ONLYMAIN`);
    try {
      await sink.writeDeadLetters([{ messageId: '1', body: '{}', error: 'INVALID_ARGUMENT: no', deliveries: 1, eventTimeMs: 1, failedTimeMs: 2 }]);
      expect((await jsm.streams.info('ONLYMAIN_dead')).config.subjects).toEqual(['main.out.dead']);
      expect((await storedMessages('ONLYMAIN_dead')).map((m) => [m.subject, m.msgId])).toEqual([['main.out.dead', 'dead:1']]);
    } finally {
      await sink.close();
    }
  });

  it('in the dead-letter role writes dead letters to SUBJECT itself and refuses predictions', async () => {
    const sink = await NatsJetStreamSink.open(`${server.url}/letters`, { role: 'dead-letters' });
    try {
      await sink.writeDeadLetters([{ messageId: '2', body: 'x', error: 'INTERNAL: boom', deliveries: 5, eventTimeMs: 1, failedTimeMs: 2 }]);
      expect((await jsm.streams.info('letters')).config.subjects).toEqual(['letters']);
      expect((await storedMessages('letters')).map((m) => [m.subject, m.msgId])).toEqual([['letters', 'dead:2']]);
      await expect(sink.write([record('1', 1)])).rejects.toThrow(`${server.url}/letters: this sink was opened for dead letters only`);
    } finally {
      await sink.close();
    }
  });

  it('refuses a subject with wildcards', async () => {
    await expect(NatsJetStreamSink.open(`${server.url}/out.*`)).rejects.toThrow(
      `${server.url}/out.*: "out.*" is not a subject to publish on (dot-separated tokens, no spaces, no * or > wildcards)`,
    );
  });
});

describe('NATS JetStream publisher', () => {
  it('takes the source URL, creates the stream and stores the bodies in order for the source to read', async () => {
    const url = `${server.url}/sim.rows?stream=SIM&consumer=w`;
    const publisher = await NatsJetStreamPublisher.open(url);
    expect(publisher.display).toBe(url);
    await publisher.publish(['{"i":1}', '{"i":2}', '{"i":3}']);
    await publisher.close();
    const source = await NatsJetStreamSource.open(url);
    try {
      const got = await receiveAll(source, 3);
      expect(got.map((m) => [m.id, text(m.body)])).toEqual([
        ['1', '{"i":1}'],
        ['2', '{"i":2}'],
        ['3', '{"i":3}'],
      ]);
      await source.ack(got);
    } finally {
      await source.close();
    }
  });

  it('refuses a wildcard subject', async () => {
    await expect(NatsJetStreamPublisher.open(`${server.url}/sim.>`)).rejects.toThrow(
      `${server.url}/sim.>: "sim.>" is not a subject to publish on (dot-separated tokens, no spaces, no * or > wildcards)`,
    );
  });
});

describe('NATS JetStream through a server restart', () => {
  it('source and sink carry on after the server restarts with its store', async () => {
    const source = await NatsJetStreamSource.open(`${server.url}/survive?stream=SURVIVE&consumer=c&ack_wait=2s`);
    const sink = await NatsJetStreamSink.open(`${server.url}/survive.out`);
    try {
      await publish('survive', ['{"before":1}']);
      const before = await receiveAll(source, 1);
      await sink.write([record(before[0]!.id, 1)]);
      await source.ack(before);
      await nc.close();
      await server.restart();
      nc = await connect({ servers: server.url });
      jsm = await jetstreamManager(nc);
      await publish('survive', ['{"after":2}']);
      const after = await receiveAll(source, 1, 20_000);
      expect(after.map((m) => [m.id, text(m.body), m.deliveries])).toEqual([['2', '{"after":2}', 1]]);
      // The sink's connection may still be reconnecting: a publish can time out (UNAVAILABLE), which the runner
      // retries; the retry must not store the record twice.
      const failures = await writeRetryingUnavailable(sink, [record(after[0]!.id, 2)]);
      expect(failures.every((message) => message.startsWith(`${server.url}/survive.out: 1 of 1 publishes to survive.out not acknowledged`))).toBe(true);
      await source.ack(after);
      expect((await storedMessages('survive_out')).map((m) => m.msgId)).toEqual(['1', '2']);
      expect((await jsm.consumers.info('SURVIVE', 'c')).num_ack_pending).toBe(0);
    } finally {
      await source.close();
      await sink.close();
    }
  }, 60_000);
});
