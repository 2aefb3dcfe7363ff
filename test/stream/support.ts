// Helpers for stream tests: a small real model, a worker run in this process, publishing to Redis, reading sinks.
import { DuckDBInstance } from '@duckdb/node-api';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { openEmbeddedPredictor, type EmbeddedPredictor } from '../../src/pipeline/embedded-predictor.js';
import { MessageDecoder, type MessageShaping } from '../../src/pipeline/stream/message-decoder.js';
import type { StreamSink, StreamSource } from '../../src/pipeline/stream/stream-contracts.js';
import { linkSinksToSource, openStreamSink, openStreamSource } from '../../src/pipeline/stream/stream-endpoints.js';
import { StreamRunner, type StreamRunnerOptions, type StreamSummary } from '../../src/pipeline/stream/stream-runner.js';
import { DEFAULT_SIGNATURE } from '../../src/runtime/signature.js';
import type { Predictor } from '../../src/serving/predictor.js';
import { tempDir, weightedSumModel, writeModel } from '../pipeline/support.js';

export { tempDir };

/** Writes the `y = 2a + b` model (float32 inputs a and b, shape [-1]) as version 1 of `weighted`; returns its base path. */
export async function writeWeightedSumModel(root: string): Promise<string> {
  return writeModel(root, 'weighted', weightedSumModel());
}

export interface WorkerOptions extends Partial<Omit<StreamRunnerOptions, 'source' | 'sink' | 'deadLetters' | 'model' | 'decoder'>> {
  readonly source: string;
  readonly sink: string;
  readonly deadLetter?: string;
  /** A model base path. */
  readonly model: string;
  readonly claimIdleMs?: number;
  readonly shaping?: MessageShaping;
  /** Wraps the model's predictor (to make it fail on purpose). */
  readonly wrapPredictor?: (predictor: Predictor) => Predictor;
}

export interface Worker {
  readonly runner: StreamRunner;
  readonly source: StreamSource;
  readonly sink: StreamSink;
  /** Resolves when the runner returns and everything is closed. */
  readonly done: Promise<StreamSummary>;
  /** Stops the runner (as SIGTERM does) and waits for it. */
  stop(): Promise<StreamSummary>;
}

/** Runs a stream worker in this process, as `millrace stream` does. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const model: EmbeddedPredictor = await openEmbeddedPredictor({ dir: options.model });
  const signature = model.signatures.get(DEFAULT_SIGNATURE)!;
  const sink = await openStreamSink(options.sink, { role: 'predictions' });
  const deadLetters = options.deadLetter === undefined ? undefined : await openStreamSink(options.deadLetter, { role: 'dead-letters' });
  const source = await openStreamSource(options.source, { claimIdleMs: options.claimIdleMs ?? 30_000 });
  linkSinksToSource(source, [sink, deadLetters]);
  const predictor = options.wrapPredictor === undefined ? model.predictor : options.wrapPredictor(model.predictor);
  const runner = new StreamRunner({
    windowSize: 1,
    windowMs: 0,
    maxInFlight: 4,
    maxAttempts: 5,
    backoff: { initialMs: 10, maxMs: 50 },
    pollMs: 100,
    ...options,
    source,
    sink,
    deadLetters,
    model: { target: { predictor, modelSpec: { name: model.modelName, version: model.version }, signature }, name: model.modelName, version: model.version },
    decoder: new MessageDecoder(signature, options.shaping),
  });
  const done = runner.run().finally(async () => {
    await source.close();
    await sink.close();
    await deadLetters?.close();
    await model.close();
  });
  done.catch(() => undefined);
  return {
    runner,
    source,
    sink,
    done,
    stop: async () => {
      runner.stop();
      return done;
    },
  };
}

/** XADDs each body under field `data`; returns the entry ids. */
export async function publish(redis: Redis, stream: string, bodies: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < bodies.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const body of bodies.slice(i, i + 1000)) pipeline.xadd(stream, '*', 'data', body);
    for (const [err, id] of (await pipeline.exec()) ?? []) {
      if (err !== null) throw err;
      ids.push(id as string);
    }
  }
  return ids;
}

/** `{"a": i, "b": 1}` for i in [0, n): the weighted-sum model predicts 2i + 1. */
export function instances(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `{"a":${from + i},"b":1}`);
}

/** Every entry of a Redis stream as an object of its fields. */
export async function streamEntries(redis: Redis, stream: string): Promise<Array<Record<string, string>>> {
  const entries = await redis.xrange(stream, '-', '+');
  return entries.map(([, fields]) => {
    const object: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) object[fields[i]!] = fields[i + 1]!;
    return object;
  });
}

/** Rows of a DuckDB query (opened and closed around it). */
export async function duckRows(path: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.fromCache(path);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
  }
}

/** Rows of a PostgreSQL query. */
export async function pgRows(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

/** Entries a consumer group has read and acknowledged (XINFO GROUPS: entries-read minus pending). */
export async function acknowledgedCount(redis: Redis, stream: string, group: string): Promise<number> {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  const info = groups.find((g) => g[g.indexOf('name') + 1] === group);
  if (info === undefined) return 0;
  const field = (name: string): number => Number(info[info.indexOf(name) + 1] ?? 0);
  return field('entries-read') - field('pending');
}

/** Pending entries of a consumer group (XPENDING summary count). */
export async function pendingCount(redis: Redis, stream: string, group: string): Promise<number> {
  const summary = (await redis.xpending(stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}
