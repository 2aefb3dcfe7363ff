// millrace stream on Redis Streams against the broker's own limit, in one run on one redis-server: the example
// flights model at window sizes 1, 16 and 128 next to a raw XREADGROUP + XACK loop. First each drains a stream
// of --messages entries (maximum throughput); then each keeps up with `millrace simulate` publishing at half of
// its own maximum, where end-to-end latency is measured. See the README's "Streams" section.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '../test/support/redis-server.js';
import { list, nonNegativeInt, OptionError, parseFlags, positiveInt, usage, type FlagSpec } from './flags.js';
import { PROJECT_ROOT } from './paths.js';
import { median } from './quantiles.js';
import { verdict } from './run-table.js';
import { latencyAtRate, maxThroughput, type BenchContext, type Contender, type LatencyRun, type MaxRun } from './stream-redis-runs.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'messages', default: '100000', help: 'messages each contender drains in its maximum-throughput run' },
  { name: 'window-sizes', default: '1,16,128', help: 'millrace stream --window_size values, one contender each' },
  { name: 'window-ms', default: '20', help: '--window_ms of the micro-batched contenders (window size above 1)' },
  { name: 'max-in-flight', default: '0', help: 'millrace stream --max_in_flight (0: its default, ceil(512 / window size) from 4 to 32)' },
  { name: 'raw-count', default: '128', help: 'COUNT of each XREADGROUP of the raw loop' },
  { name: 'latency-seconds', default: '10', help: 'length of each half-rate (latency) run; 0 skips the latency runs' },
  { name: 'warmup-seconds', default: '3', help: 'unmeasured publishing at the same rate before each latency run' },
  { name: 'repeat', default: '1', help: 'maximum-throughput runs of each contender, taken in turns; the table shows medians' },
  { name: 'sink', default: 'redis', help: 'where the workers write: redis (a stream on the same server) or file (--sink stdout into a file)' },
  { name: 'worker-args', default: '', help: 'extra millrace stream flags for the workers, space-separated (e.g. "--read_ahead 1024")' },
  { name: 'worker-node-args', default: '', help: 'extra node options for the workers, space-separated (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")' },
];
const ENV_PREFIX = 'STREAM_BENCH';

// Bars from the issue.
const MIN_RATIO = 0.6;
const LATENCY_SLACK_MS = 50;

const FLIGHTS_JSON = join(PROJECT_ROOT, 'node_modules', 'vega-datasets', 'data', 'flights-20k.json');

/** flights-20k rows as the model's instances: distance, departure hour (decimal) and day of the week. */
function flightBodies(): string[] {
  const rows = JSON.parse(readFileSync(FLIGHTS_JSON, 'utf8')) as Array<{ date: string; distance: number }>;
  return rows.map(({ date, distance }) => {
    const [, y, mo, d, h, mi] = /^(\d+)\/(\d+)\/(\d+) (\d+):(\d+)$/.exec(date)!.map(Number);
    const hour = Math.round((h! + mi! / 60) * 100) / 100;
    return `{"distance":${distance},"hour":${hour},"day_of_week":${new Date(Date.UTC(y!, mo! - 1, d!)).getUTCDay()}}`;
  });
}

function medianRun(runs: readonly MaxRun[]): MaxRun {
  return {
    messages: runs[0]!.messages,
    perSecond: median(runs.map((r) => r.perSecond)),
    processCpuUs: median(runs.map((r) => r.processCpuUs)),
    redisCpuUs: median(runs.map((r) => r.redisCpuUs)),
  };
}

interface Row {
  readonly contender: Contender;
  readonly max: MaxRun;
  readonly latency: LatencyRun;
}

function table(rows: readonly Row[], raw: Row | undefined): string {
  const titles = ['contender', 'max msg/s', 'x raw', 'CPU us/msg (proc+redis)', 'msg/CPU-s x raw', 'half rate', 'p50 ms', 'p99 ms', 'p99 bar ms'];
  const perCpu = (r: Row): number => 1e6 / (r.max.processCpuUs + r.max.redisCpuUs);
  const body = rows.map((r) => [
    r.contender.name,
    r.max.perSecond.toFixed(0),
    raw === undefined ? '-' : (r.max.perSecond / raw.max.perSecond).toFixed(2),
    `${(r.max.processCpuUs + r.max.redisCpuUs).toFixed(1)} (${r.max.processCpuUs.toFixed(1)}+${r.max.redisCpuUs.toFixed(1)})`,
    raw === undefined ? '-' : (perCpu(r) / perCpu(raw)).toFixed(2),
    r.latency.targetRate.toFixed(0),
    r.latency.p50.toFixed(0),
    r.latency.p99.toFixed(0),
    String(r.contender.windowMs + LATENCY_SLACK_MS),
  ]);
  const widths = titles.map((t, i) => Math.max(t.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(titles), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), process.env, FLAGS, ENV_PREFIX);
  if (flags === null) {
    process.stdout.write(usage('npm run bench:stream', FLAGS, ENV_PREFIX));
    return 0;
  }
  const messages = positiveInt(flags.get('messages')!, 'messages');
  const windowSizes = list(flags.get('window-sizes')!, 'window-sizes').map((w) => positiveInt(w, 'window-sizes'));
  const windowMs = nonNegativeInt(flags.get('window-ms')!, 'window-ms');
  const latencySeconds = nonNegativeInt(flags.get('latency-seconds')!, 'latency-seconds');
  const warmupSeconds = nonNegativeInt(flags.get('warmup-seconds')!, 'warmup-seconds');
  const sink = flags.get('sink')!;
  if (sink !== 'redis' && sink !== 'file') throw new OptionError(`--sink must be redis or file, got "${sink}"`);
  const contenders: Contender[] = [
    { name: 'raw XREADGROUP+XACK', windowSize: undefined, windowMs: 0 },
    ...windowSizes.map((w) => ({ name: w === 1 ? 'millrace window 1' : `millrace window ${w}/${windowMs}ms`, windowSize: w, windowMs: w === 1 ? 0 : windowMs })),
  ];
  const work = await mkdtemp(join(tmpdir(), 'millrace-stream-bench-'));
  const server = await startRedisServer();
  const redis = server.client();
  try {
    const bodies = flightBodies();
    const bodiesFile = join(work, 'flights.jsonl');
    await writeFile(bodiesFile, `${bodies.join('\n')}\n`);
    const context: BenchContext = {
      redis,
      redisUrl: server.url,
      redisPort: server.port,
      bodiesFile,
      bodies,
      maxInFlight: nonNegativeInt(flags.get('max-in-flight')!, 'max-in-flight'),
      rawCount: positiveInt(flags.get('raw-count')!, 'raw-count'),
      sink,
      workDir: work,
      workerArgs: flags.get('worker-args')!.split(' ').filter((a) => a !== ''),
      workerNodeArgs: flags.get('worker-node-args')!.split(' ').filter((a) => a !== ''),
    };
    process.stderr.write(`machine: ${cpus()[0]?.model.trim()}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)} before the run; node ${process.version}\n`);
    const repeat = positiveInt(flags.get('repeat')!, 'repeat');
    const runs = new Map<Contender, MaxRun[]>(contenders.map((c) => [c, []]));
    // In turns, so a noisy minute on a shared machine does not fall on one contender only.
    for (let r = 0; r < repeat; r++) {
      for (const contender of contenders) {
        const run = await maxThroughput(context, contender, messages);
        runs.get(contender)!.push(run);
        process.stderr.write(`max: ${contender.name}: ${run.perSecond.toFixed(0)} msg/s, CPU ${run.processCpuUs.toFixed(1)} us/msg + redis ${run.redisCpuUs.toFixed(1)} us/msg\n`);
      }
    }
    const maxRuns = new Map<Contender, MaxRun>([...runs].map(([c, list]) => [c, medianRun(list)]));
    const rows: Row[] = [];
    for (const contender of contenders) {
      const max = maxRuns.get(contender)!;
      const rate = Math.max(1, Math.round(max.perSecond / 2));
      if (latencySeconds === 0) {
        rows.push({ contender, max, latency: { messages: 0, targetRate: rate, p50: Number.NaN, p99: Number.NaN, max: Number.NaN } });
        continue;
      }
      const latency = await latencyAtRate(context, contender, rate, Math.max(1000, rate * latencySeconds), rate * warmupSeconds);
      process.stderr.write(`half rate: ${contender.name}: ${rate} msg/s for ${latency.messages} messages after ${warmupSeconds} s of warm-up: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms\n`);
      rows.push({ contender, max, latency });
    }
    const raw = rows.find((r) => r.contender.windowSize === undefined);
    process.stdout.write(`\nRedis Streams, ${messages} messages per maximum run (median of ${repeat}), flights model (examples/models/flights, newest version), sink: ${sink === 'redis' ? 'a Redis stream on the same server' : 'JSON lines on stdout, into a file'}; max_in_flight ${context.maxInFlight === 0 ? 'default (ceil(512 / window size), 4 to 32)' : context.maxInFlight}; load average now ${loadavg()[0]?.toFixed(2)}\n\n`);
    process.stdout.write(`${table(rows, raw)}\n\n`);
    let pass = true;
    for (const r of rows) {
      if (raw !== undefined && r.contender.windowSize !== undefined && r.contender.windowSize > 1) {
        const ratio = r.max.perSecond / raw.max.perSecond;
        pass &&= ratio >= MIN_RATIO;
        process.stdout.write(`${verdict(ratio >= MIN_RATIO, `${r.contender.name}: ${ratio.toFixed(2)}x the raw loop's messages/s (bar ${MIN_RATIO}x)`)}\n`);
      }
    }
    for (const r of rows) {
      if (r.contender.windowSize === undefined || latencySeconds === 0) continue;
      const bar = r.contender.windowMs + LATENCY_SLACK_MS;
      pass &&= r.latency.p99 <= bar;
      process.stdout.write(`${verdict(r.latency.p99 <= bar, `${r.contender.name}: p99 ${r.latency.p99} ms at ${r.latency.targetRate} msg/s (half of max), bar ${bar} ms`)}\n`);
    }
    return pass ? 0 : 1;
  } finally {
    redis.disconnect();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof OptionError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = err instanceof OptionError ? 2 : 1;
  },
);
