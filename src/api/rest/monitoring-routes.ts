import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';
import { summariseSeries, type HistogramSummary } from '../../metrics/histogram-summary.js';
import type { LabelledHistogram } from '../../metrics/labelled-metrics.js';
import type { ServingMetrics } from '../../metrics/serving-metrics.js';
import type { RestRoute } from './rest-server.js';

/**
 * Prometheus text at TF Serving's path. As in TF Serving, any method on the exact path answers, and
 * a query string makes the path wrong (TF Serving matches the whole request target).
 */
export function prometheusRoute(metrics: ServingMetrics, path: string): RestRoute {
  return (req: IncomingMessage, res: ServerResponse, requestPath: string) => {
    if (requestPath !== path) return false;
    return servePrometheus(metrics, path, req, res);
  };
}

async function servePrometheus(metrics: ServingMetrics, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const target = req.url ?? '';
  if (target !== path) {
    const body = `Unexpected path: ${target}. Should be ${path}`;
    res.writeHead(400, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return true;
}

export interface StatsSources {
  readonly metrics: ServingMetrics;
  /** Batching settings and queue depth, when batching is on. */
  readonly batching: (() => Record<string, number | boolean | readonly number[]>) | undefined;
}

/** `GET /v1/stats`: the same numbers as the metrics, summarised for a human reading JSON. */
export function statsRoute(sources: StatsSources): RestRoute {
  return (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (path !== '/v1/stats' || req.method !== 'GET') return false;
    return statsSnapshot(sources).then((snapshot) => {
      const body = JSON.stringify(snapshot, null, 1);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    });
  };
}

type Metric = MetricObjectWithValues<MetricValue<string> | MetricValueWithName<string>>;

interface VersionStats {
  model: string;
  version: string;
  request_latency_us?: HistogramSummary;
  runtime_latency_us?: HistogramSummary;
  queuing_latency_us?: HistogramSummary;
  batches?: number;
  mean_batch_size?: number;
}

export async function statsSnapshot(sources: StatsSources): Promise<object> {
  const all = (await sources.metrics.registry.getMetricsAsJSON()) as Metric[];
  const byName = new Map(all.map((m) => [m.name, m]));
  const requests: Record<string, Record<string, number>> = {};
  for (const v of byName.get(':tensorflow:serving:request_count')?.values ?? []) {
    const model = String(v.labels['model_name'] ?? '');
    const status = String(v.labels['status'] ?? '');
    const perModel = (requests[model] ??= {});
    perModel[status] = (perModel[status] ?? 0) + v.value;
  }
  const versions = new Map<string, VersionStats>();
  const entry = (labels: Record<string, string | number | undefined>): VersionStats => {
    const model = String(labels['model_name'] ?? '');
    const version = String(labels['model_version'] ?? '');
    const key = `${model}\u0000${version}`;
    let e = versions.get(key);
    if (e === undefined) {
      e = { model, version };
      versions.set(key, e);
    }
    return e;
  };
  const { metrics } = sources;
  for (const [metric, field] of [
    [metrics.requestLatency, 'request_latency_us'],
    [metrics.runtimeLatency, 'runtime_latency_us'],
    [metrics.queuingLatency, 'queuing_latency_us'],
  ] as const) {
    for (const [labels, summary] of summarise(metric)) entry(labels)[field] = summary;
  }
  for (const [labels, summary] of summarise(metrics.processedBatchSize)) {
    const e = entry(labels);
    e.batches = summary.count;
    e.mean_batch_size = summary.mean;
  }
  const gauge = (name: string): number | undefined => byName.get(name)?.values[0]?.value;
  return {
    process: {
      rss_bytes: gauge('process_resident_memory_bytes') ?? process.memoryUsage().rss,
      heap_used_bytes: process.memoryUsage().heapUsed,
      event_loop_lag_p50_ms: toMs(gauge('nodejs_eventloop_lag_p50_seconds')),
      event_loop_lag_p99_ms: toMs(gauge('nodejs_eventloop_lag_p99_seconds')),
      uptime_seconds: Math.round(process.uptime()),
    },
    batching: sources.batching?.() ?? { enabled: false },
    requests,
    models: [...versions.values()].sort((a, b) => (a.model === b.model ? a.version.localeCompare(b.version) : a.model < b.model ? -1 : 1)),
  };
}

function toMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1e6) / 1e3;
}

/** Per label set of a histogram with observations: count, mean, min, max and p50/p99 kept within [min, max]. */
function summarise(metric: LabelledHistogram): Array<[Record<string, string | number | undefined>, HistogramSummary]> {
  return metric.seriesSnapshot().map((series) => [series.labels, summariseSeries(series)]);
}
