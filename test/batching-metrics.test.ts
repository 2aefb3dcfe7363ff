import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempModelRepository } from './support/model-repository.js';
import { addConstantModel } from './support/onnx-graphs.js';
import { http, postJson, startTestServer } from './support/test-server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Every sample line of a Prometheus text page. */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^{\s#]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** One histogram series: its buckets in order of `le`, sum and count. */
function histogram(samples: readonly Sample[], name: string, match: Record<string, string>) {
  const mine = samples.filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  const buckets = mine
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => ({ le: s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']), count: s.value }));
  const one = (suffix: string): number => {
    const found = mine.filter((s) => s.name === `${name}${suffix}`);
    if (found.length !== 1) throw new Error(`${found.length} ${name}${suffix} series match ${JSON.stringify(match)}`);
    return (found[0] as Sample).value;
  };
  return { buckets, sum: one('_sum'), count: one('_count') };
}

/** Cumulative counts never decrease, bounds increase, and the +Inf bucket holds every observation. */
function expectWellFormed(h: ReturnType<typeof histogram>): void {
  for (let i = 1; i < h.buckets.length; i++) {
    expect(h.buckets[i]!.le).toBeGreaterThan(h.buckets[i - 1]!.le);
    expect(h.buckets[i]!.count).toBeGreaterThanOrEqual(h.buckets[i - 1]!.count);
  }
  expect(h.buckets.at(-1)).toEqual({ le: Infinity, count: h.count });
}

const LATENCY_BOUNDS = Array.from({ length: 33 }, (_, i) => 10 * 1.8 ** i);

describe('metric values', () => {
  let repo: TempModelRepository;
  let server: Server;
  /** Client-side wall time of every successful request, in µs: each is at least the server's own latency. */
  const clientMicros: number[] = [];
  let rows = 0;

  beforeAll(async () => {
    repo = await TempModelRepository.create();
    await repo.addVersion('m', 1, addConstantModel(1));
    server = await startTestServer({
      models: { name: 'm', basePath: repo.basePath('m') },
      enableBatching: true,
      batchingParametersFile: await repo.writeFile('batching.config', 'max_batch_size { value: 16 } batch_timeout_micros { value: 20000 }'),
      monitoringConfigFile: await repo.writeFile('monitoring.config', 'prometheus_config { enable: true }'),
    });
    const timed = async (values: number[]): Promise<void> => {
      const started = performance.now();
      const r = await postJson(`${server.url}/v1/models/m:predict`, { instances: values });
      clientMicros.push((performance.now() - started) * 1000);
      expect(r.status).toBe(200);
      rows += values.length;
    };
    for (let i = 0; i < 10; i++) await timed([i]);
    await Promise.all(Array.from({ length: 30 }, (_, i) => timed([i, i + 1, i + 2].slice(0, 1 + (i % 3)))));
  });

  afterAll(async () => {
    await server?.close();
    await repo?.dispose();
  });

  it('request, runtime and queuing latency histograms agree with the requests made', async () => {
    const samples = parsePrometheus((await http(`${server.url}/monitoring/prometheus/metrics`)).text);
    const request = histogram(samples, ':tensorflow:serving:request_latency', { model_name: 'm', API: 'predict', entrypoint: 'REST' });
    expectWellFormed(request);
    expect(request.buckets.map((b) => b.le)).toEqual([...LATENCY_BOUNDS, Infinity]);
    expect(request.count).toBe(40);
    expect(request.sum).toBeGreaterThan(0);
    // The server's time for a request is part of the client's time for it.
    expect(request.sum).toBeLessThanOrEqual(clientMicros.reduce((a, b) => a + b, 0));

    const batches = histogram(samples, ':tensorflow:serving:batching_session:processed_batch_size', { model_name: 'm' });
    expectWellFormed(batches);
    expect(batches.sum).toBe(rows);
    expect(batches.count).toBeLessThan(40);

    const runtime = histogram(samples, ':tensorflow:serving:runtime_latency', { model_name: 'm', runtime: 'ONNX' });
    expectWellFormed(runtime);
    // One model run per batch; each run lies inside the latency of every request in its batch.
    expect(runtime.count).toBe(batches.count);
    expect(runtime.sum).toBeGreaterThan(0);
    expect(runtime.sum).toBeLessThanOrEqual(request.sum);

    const queuing = histogram(samples, ':tensorflow:serving:batching_session:queuing_latency', { model_name: 'm' });
    expectWellFormed(queuing);
    expect(queuing.count).toBe(40);
    expect(queuing.sum).toBeLessThanOrEqual(request.sum);

    const input = histogram(samples, ':tensorflow:serving:batching_session:input_batch_size', { model_name: 'm' });
    expectWellFormed(input);
    expect([input.count, input.sum]).toEqual([40, rows]);
    // Ten 1-row requests and thirty of 1, 2 or 3 rows, ten of each.
    expect(input.buckets.filter((b) => b.le <= 4).map((b) => [b.le, b.count])).toEqual([
      [1, 20],
      [2, 30],
      [4, 40],
    ]);
    const padding = samples.filter((s) => s.name === ':tensorflow:serving:batching_session:padding_size_sum');
    expect(padding.reduce((a, s) => a + s.value, 0)).toBe(0);
    expect(samples.find((s) => s.name === ':tensorflow:serving:batching_session:wrapped_run_count' && s.labels['model_name'] === 'm')?.value).toBe(40);
  });

  it('process gauges are finite numbers: event-loop lag ≥ 0 and resident memory > 0', async () => {
    const samples = parsePrometheus((await http(`${server.url}/monitoring/prometheus/metrics`)).text);
    for (const name of ['nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds']) {
      const lag = samples.find((s) => s.name === name)?.value;
      expect([name, Number.isFinite(lag), (lag ?? -1) >= 0]).toEqual([name, true, true]);
    }
    const rss = samples.find((s) => s.name === 'process_resident_memory_bytes')?.value ?? 0;
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    const stats = JSON.parse((await http(`${server.url}/v1/stats`)).text);
    expect(Number.isFinite(stats.process.event_loop_lag_p99_ms) && stats.process.event_loop_lag_p99_ms >= 0).toBe(true);
    expect(stats.process.rss_bytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('/v1/stats summarises the same histograms: counts equal, min ≤ p50 ≤ p99 ≤ max', async () => {
    const stats = JSON.parse((await http(`${server.url}/v1/stats`)).text);
    const m = stats.models.find((e: { model: string }) => e.model === 'm');
    expect(stats.requests).toEqual({ m: { OK: 40 } });
    for (const field of ['request_latency_us', 'queuing_latency_us']) {
      const s = m[field];
      expect([field, s.count]).toEqual([field, 40]);
      expect(s.min).toBeLessThanOrEqual(s.p50);
      expect(s.p50).toBeLessThanOrEqual(s.p99);
      expect(s.p99).toBeLessThanOrEqual(s.max);
      expect(s.mean).toBeGreaterThanOrEqual(s.min);
      expect(s.mean).toBeLessThanOrEqual(s.max);
    }
    expect(m.runtime_latency_us.count).toBe(m.batches);
    expect(m.mean_batch_size).toBe(Math.round((rows / m.batches) * 100) / 100);
  });
});
