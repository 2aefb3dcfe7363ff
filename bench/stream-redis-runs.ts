// The runs of bench/stream-redis.ts: a millrace stream worker or the raw consumer loop, each a child process
// against one redis-server, either draining a full stream (maximum throughput) or keeping up with a publisher
// at a fixed rate (latency). A worker is done when its consumer group has read every entry and has none
// pending; its times come from its sink rows (prediction_time_ms, event_time_ms), in a Redis stream or in a
// file of JSON lines (`--sink stdout` redirected).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { readCpuTime } from './cpu-time.js';
import { MILLRACE_CLI, PROJECT_ROOT } from './paths.js';
import { percentileOfSorted } from './quantiles.js';

const RAW_SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'stream-raw-consumer.js');
export const FLIGHTS_MODEL = join(PROJECT_ROOT, 'examples', 'models', 'flights');

export interface Contender {
  readonly name: string;
  /** Undefined for the raw loop. */
  readonly windowSize: number | undefined;
  /** How long a window may wait for more messages (0 for per-element and for the raw loop). */
  readonly windowMs: number;
}

export interface BenchContext {
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly redisPort: number;
  /** JSON lines of instances for `millrace simulate`. */
  readonly bodiesFile: string;
  readonly bodies: readonly string[];
  readonly maxInFlight: number;
  readonly rawCount: number;
  /** Where the worker writes: a Redis stream next to its source, or stdout into a file in `workDir`. */
  readonly sink: 'redis' | 'file';
  readonly workDir: string;
  /** Extra `millrace stream` flags for the workers. */
  readonly workerArgs: readonly string[];
  /** Extra node options for the workers (profiling). */
  readonly workerNodeArgs: readonly string[];
}

export interface MaxRun {
  readonly messages: number;
  readonly perSecond: number;
  /** CPU of the consumer process and of redis-server per message, between the first and the last message. */
  readonly processCpuUs: number;
  readonly redisCpuUs: number;
}

export interface LatencyRun {
  readonly messages: number;
  readonly targetRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

let runNo = 0;

export async function maxThroughput(c: BenchContext, contender: Contender, messages: number): Promise<MaxRun> {
  const stream = `max-${++runNo}`;
  await fill(c, stream, messages);
  return contender.windowSize === undefined ? rawMax(c, stream, messages) : workerMax(c, contender, stream, messages);
}

/**
 * A warm-up of `warmup` messages at the rate first (the consumer's code is not yet compiled and its first
 * model calls are slow: the latency of a cold start is not the latency of a running worker), then `messages`
 * more, whose latencies are the result.
 */
export async function latencyAtRate(c: BenchContext, contender: Contender, rate: number, messages: number, warmup: number): Promise<LatencyRun> {
  const stream = `rate-${++runNo}`;
  const total = warmup + messages;
  if (contender.windowSize === undefined) {
    const raw = startRaw(c, stream, total);
    await raw.ready;
    if (warmup > 0) await simulate(c, stream, rate, warmup);
    await waitUntil(async () => (await groupProgress(c.redis, stream, 'raw')).done >= warmup, 120_000, `raw: warm-up`);
    raw.child.stdin!.write(`measure ${Date.now()}\n`);
    await simulate(c, stream, rate, messages);
    const result = await raw.result;
    return { messages, targetRate: rate, ...percentiles(result.latencies) };
  }
  const worker = startWorker(c, contender, stream);
  await worker.ready;
  if (warmup > 0) await simulate(c, stream, rate, warmup);
  await waitUntil(async () => (await groupProgress(c.redis, stream)).done >= warmup, 120_000, `${contender.name}: warm-up`);
  const measureFrom = Date.now();
  await simulate(c, stream, rate, messages);
  await waitUntil(async () => (await groupProgress(c.redis, stream)).done >= total, 120_000, `${contender.name}: ${total} messages done`);
  await worker.stop();
  const rows = (await worker.rows()).filter((r) => r.eventMs >= measureFrom);
  return { messages: rows.length, targetRate: rate, ...percentiles(rows.map((r) => r.predictionMs - r.eventMs)) };
}

async function workerMax(c: BenchContext, contender: Contender, stream: string, messages: number): Promise<MaxRun> {
  const worker = startWorker(c, contender, stream);
  await waitUntil(async () => (await groupProgress(c.redis, stream)).read > 0, 60_000, `${contender.name}: first read`);
  const [cpuA, redisA, progressA] = await Promise.all([readCpuTime(worker.child.pid!), redisCpuSeconds(c.redis), groupProgress(c.redis, stream)]);
  await waitUntil(async () => (await groupProgress(c.redis, stream)).done >= messages, 600_000, `${contender.name}: ${messages} messages done`);
  const [cpuB, redisB] = await Promise.all([readCpuTime(worker.child.pid!), redisCpuSeconds(c.redis)]);
  await worker.stop();
  const rows = await worker.rows();
  const startCount = progressA.done;
  if (rows.length !== messages || new Set(rows.map((r) => r.id)).size !== messages) throw new Error(`${contender.name}: ${rows.length} rows in the sink, expected ${messages} distinct`);
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    first = Math.min(first, r.predictionMs);
    last = Math.max(last, r.predictionMs);
  }
  const span = (last - first) / 1000;
  const counted = messages - startCount;
  return {
    messages,
    perSecond: messages / span,
    processCpuUs: (((cpuB?.runSeconds ?? 0) - (cpuA?.runSeconds ?? 0)) * 1e6) / counted,
    redisCpuUs: ((redisB - redisA) * 1e6) / counted,
  };
}

async function rawMax(c: BenchContext, stream: string, messages: number): Promise<MaxRun> {
  const redisA = await redisCpuSeconds(c.redis);
  const raw = startRaw(c, stream, messages);
  const result = await raw.result;
  const redisB = await redisCpuSeconds(c.redis);
  return {
    messages,
    perSecond: messages / ((result.lastMs - result.firstMs) / 1000),
    processCpuUs: (result.cpuMs * 1000) / messages,
    redisCpuUs: ((redisB - redisA) * 1e6) / messages,
  };
}

interface RawResult {
  readonly messages: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly cpuMs: number;
  readonly latencies: number[];
}

function startRaw(c: BenchContext, stream: string, messages: number): { child: ChildProcess; ready: Promise<void>; result: Promise<RawResult> } {
  const child = spawn(process.execPath, [RAW_SCRIPT, String(c.redisPort), stream, 'raw', String(c.rawCount), String(messages)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<RawResult>((resolve, reject) =>
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`raw consumer exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.slice('ready\n'.length)) as RawResult);
    }),
  );
  return { child, ready, result };
}

interface SinkRow {
  readonly id: string;
  readonly eventMs: number;
  readonly predictionMs: number;
}

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  stop(): Promise<void>;
  /** The sink's rows (after stop). */
  rows(): Promise<SinkRow[]>;
}

function startWorker(c: BenchContext, contender: Contender, stream: string): WorkerProcess {
  const outFile = join(c.workDir, `${stream}.jsonl`);
  const sink = c.sink === 'redis' ? `${c.redisUrl}/${stream}:out` : 'stdout';
  const args = [
    MILLRACE_CLI, 'stream', '--source', `${c.redisUrl}/${stream}?group=bench`, '--model', FLIGHTS_MODEL, '--sink', sink,
    '--window_size', String(contender.windowSize), '--window_ms', String(contender.windowMs), '--max_in_flight', String(c.maxInFlight),
    '--progress_interval_seconds', '0', ...c.workerArgs,
  ];
  const out = c.sink === 'file' ? openSync(outFile, 'w') : 'ignore';
  const child = spawn(process.execPath, [...c.workerNodeArgs, ...args], { stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out);
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.includes('"event":"stream_started"')) markReady();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  void exited.then((code) => {
    if (code !== 0) process.stderr.write(`${contender.name}: worker exited with ${code}:\n${err.slice(-2000)}\n`);
  });
  return {
    child,
    ready,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`${contender.name}: worker exited with ${code} after SIGTERM`);
    },
    rows: async () => (c.sink === 'redis' ? sinkTimes(c.redis, `${stream}:out`) : fileTimes(outFile)),
  };
}

/** `millrace simulate` at a fixed rate, as a user would feed a stream. */
async function simulate(c: BenchContext, stream: string, rate: number, messages: number): Promise<void> {
  const args = [MILLRACE_CLI, 'simulate', '--input', c.bodiesFile, '--target', `${c.redisUrl}/${stream}`, '--rate', String(rate), '--count', String(messages)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`simulate exited with ${code}: ${text}`);
}

async function fill(c: BenchContext, stream: string, messages: number): Promise<void> {
  for (let i = 0; i < messages; i += 2000) {
    const pipeline = c.redis.pipeline();
    for (let j = i; j < Math.min(messages, i + 2000); j++) pipeline.xadd(stream, '*', 'data', c.bodies[j % c.bodies.length]!);
    await pipeline.exec();
  }
}

/** Entries read by the worker's group, and those done (read and acknowledged). */
async function groupProgress(redis: Redis, stream: string, name = 'bench'): Promise<{ read: number; done: number }> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  const group = groups.find((g) => g[1] === name);
  if (group === undefined) return { read: 0, done: 0 };
  const field = (name: string): number => Number(group[group.indexOf(name) + 1] ?? 0);
  const read = field('entries-read');
  return { read, done: read - field('pending') };
}

function fileTimes(file: string): SinkRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const r = JSON.parse(line) as { message_id: string; event_time_ms: number; prediction_time_ms: number };
      return { id: r.message_id, eventMs: r.event_time_ms, predictionMs: r.prediction_time_ms };
    });
}

async function sinkTimes(redis: Redis, stream: string): Promise<SinkRow[]> {
  const rows: SinkRow[] = [];
  let start = '-';
  for (;;) {
    const entries = await redis.xrange(stream, start, '+', 'COUNT', 10_000);
    for (const [, fields] of entries) {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      rows.push({ id: f.get('message_id')!, eventMs: Number(f.get('event_time_ms')), predictionMs: Number(f.get('prediction_time_ms')) });
    }
    if (entries.length < 10_000) return rows;
    start = `(${entries[entries.length - 1]![0]}`;
  }
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

function percentiles(latencies: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentileOfSorted(sorted, 0.5), p99: percentileOfSorted(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
