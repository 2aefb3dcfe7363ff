// `millrace stream` from a NATS JetStream source, as users run it (the built CLI in a child process), into a
// JetStream sink and a DuckDB table; a worker killed with SIGKILL mid-stream and started again leaves every
// message exactly once in the sink.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsJetStreamPublisher } from '../../../src/pipeline/stream/nats-publisher.js';
import { TempModelRepository } from '../../support/model-repository.js';
import { startNatsServer, type NatsServer } from '../../support/nats-server.js';
import { addConstantModel } from '../../support/onnx-graphs.js';
import { waitFor } from '../../support/wait-for.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let repo: TempModelRepository;
let model: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
  repo = await TempModelRepository.create();
  // float32 y = x + 0.5: exact for the integers sent here.
  await repo.addVersion('plus_half', 1, addConstantModel(0.5));
  model = repo.basePath('plus_half');
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
  await repo?.dispose();
});

interface Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, [BIN, 'stream', '--model', model, '--progress_interval_seconds', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

async function publishBodies(url: string, bodies: string[]): Promise<void> {
  const publisher = await NatsJetStreamPublisher.open(url);
  try {
    for (let i = 0; i < bodies.length; i += 1000) await publisher.publish(bodies.slice(i, i + 1000));
  } finally {
    await publisher.close();
  }
}

/** Every message stored in a stream, read with an ordered consumer. */
async function readStream(stream: string): Promise<{ subject: string; msgId: string | undefined; json: Record<string, unknown> }[]> {
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: { subject: string; msgId: string | undefined; json: Record<string, unknown> }[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), json: m.json<Record<string, unknown>>() });
    if (out.length === total) break;
  }
  return out;
}

const sequence = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i + 1));

describe('millrace stream with a NATS JetStream source', () => {
  it('micro-batches into a JetStream sink, one record per message, and dead-letters a bad body to SUBJECT.dead', async () => {
    const source = `${server.url}/in.small?stream=IN_SMALL&consumer=w&ack_wait=2s`;
    await publishBodies(source, ['1', '2', '3', '{"bad":', '5']);
    const worker = startWorker(['--source', source, '--sink', `${server.url}/out.small`, '--window_size', '4', '--window_ms', '50', '--idle_exit_ms', '1000']);
    const { code, stderr } = await worker.exited;
    expect(code, stderr).toBe(0);
    const stored = await readStream('out_small');
    const records = stored.filter((m) => m.subject === 'out.small');
    expect(records.map((m) => [m.msgId, m.json.message_id, m.json.instance, m.json.prediction, m.json.model_name, m.json.model_version])).toEqual([
      ['1', '1', 1, 1.5, 'plus_half', 1],
      ['2', '2', 2, 2.5, 'plus_half', 1],
      ['3', '3', 3, 3.5, 'plus_half', 1],
      ['5', '5', 5, 5.5, 'plus_half', 1],
    ]);
    const dead = stored.filter((m) => m.subject === 'out.small.dead');
    expect(dead.map((m) => [m.msgId, m.json.message_id, m.json.body, m.json.deliveries])).toEqual([['dead:4', '4', '{"bad":', 1]]);
    expect(String(dead[0]!.json.error)).toMatch(/^INVALID_ARGUMENT: the message body is not valid JSON: /);
    const consumer = await jsm.consumers.info('IN_SMALL', 'w');
    expect([consumer.num_pending, consumer.num_ack_pending]).toEqual([0, 0]);
  });

  it('after kill -9 mid-stream and a restart, every one of 20 000 messages is in the JetStream sink exactly once', async () => {
    const count = 20_000;
    const source = `${server.url}/in.kill?stream=IN_KILL&consumer=workers&ack_wait=2s`;
    const sink = `${server.url}/out.kill`;
    await publishBodies(source, sequence(count));
    const args = ['--source', source, '--sink', sink, '--window_size', '64', '--window_ms', '20'];
    const first = startWorker(args);
    const stored = async (): Promise<number> => (await jsm.streams.info('out_kill').catch(() => undefined))?.state.messages ?? 0;
    await waitFor(async () => (await stored()) >= 4000, 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await stored()).toBeLessThan(count);
    // Long enough past ack_wait for the dead worker's unacknowledged messages to come back.
    const second = startWorker([...args, '--idle_exit_ms', '5000']);
    const { code, stderr } = await second.exited;
    expect(code, stderr).toBe(0);
    const records = await readStream('out_kill');
    expect(records.length).toBe(count);
    const ids = records.map((m) => m.json.message_id as string);
    expect(new Set(ids).size).toBe(count);
    expect([...ids].sort((a, b) => Number(a) - Number(b))).toEqual(sequence(count));
    expect(records.every((m) => m.msgId === m.json.message_id && m.json.prediction === Number(m.json.instance) + 0.5 && m.json.message_id === String(m.json.instance))).toBe(true);
    const consumer = await jsm.consumers.info('IN_KILL', 'workers');
    expect([consumer.num_pending, consumer.num_ack_pending]).toEqual([0, 0]);
  }, 180_000);

  it('three workers on one consumer share the stream: every message received once in all, none missing', async () => {
    const count = 10_000;
    const source = `${server.url}/in.shared?stream=IN_SHARED&consumer=pool&ack_wait=30s`;
    const sink = `${server.url}/out.shared`;
    const workers = [1, 2, 3].map(() => startWorker(['--source', source, '--sink', sink, '--window_size', '32', '--window_ms', '20', '--idle_exit_ms', '5000']));
    // Publish once all three are pulling, so that each gets a share.
    await waitFor(async () => ((await jsm.consumers.info('IN_SHARED', 'pool').catch(() => undefined))?.num_waiting ?? 0) >= 3, 60_000);
    await publishBodies(source, sequence(count));
    const results = await Promise.all(workers.map((w) => w.exited));
    const received = results.map(({ code, stderr }) => {
      expect(code, stderr).toBe(0);
      const stopped = stderr
        .split('\n')
        .filter((line) => line.includes('"stream_stopped"'))
        .map((line) => JSON.parse(line) as { received: number; acked: number });
      expect(stopped.length).toBe(1);
      expect(stopped[0]!.acked).toBe(stopped[0]!.received);
      return stopped[0]!.received;
    });
    expect(received.reduce((a, b) => a + b, 0)).toBe(count);
    for (const share of received) expect(share).toBeGreaterThan(0);
    const records = await readStream('out_shared');
    expect(records.map((m) => m.json.message_id as string).sort((a, b) => Number(a) - Number(b))).toEqual(sequence(count));
  }, 180_000);

  it('into a DuckDB table, through a kill -9 and a restart: one row per message, none missing', async () => {
    const count = 5000;
    const source = `${server.url}/in.table?stream=IN_TABLE&consumer=w&ack_wait=2s`;
    await publishBodies(source, sequence(count));
    const db = join(repo.root, 'stream.db');
    const args = ['--source', source, '--sink', `duckdb://${db}?table=preds`, '--window_size', '32', '--window_ms', '20'];
    const first = startWorker(args);
    // The DuckDB file is locked by the worker: watch progress through the consumer's acknowledgements instead.
    // (The worker creates the consumer when it starts.)
    const acked = async (): Promise<number> => (await jsm.consumers.info('IN_TABLE', 'w').catch(() => undefined))?.ack_floor.stream_seq ?? 0;
    await waitFor(async () => (await acked()) >= 1000, 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await acked()).toBeLessThan(count);
    const second = startWorker([...args, '--idle_exit_ms', '5000']);
    const { code, stderr } = await second.exited;
    expect(code, stderr).toBe(0);
    const instance = await DuckDBInstance.create(db);
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER, count(DISTINCT message_id)::INTEGER, min(CAST(message_id AS INTEGER)), max(CAST(message_id AS INTEGER)),
                count(*) FILTER (WHERE CAST(prediction AS DOUBLE) <> CAST(instance AS DOUBLE) + 0.5)::INTEGER FROM preds`,
      );
      expect(reader.getRows()).toEqual([[count, count, 1, count, 0]]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 180_000);
});
