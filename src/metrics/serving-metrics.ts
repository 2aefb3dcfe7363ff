import { collectDefaultMetrics, Registry } from 'prom-client';
import { LabelledCounter, LabelledHistogram, type CounterChild, type HistogramChild } from './labelled-metrics.js';

/** TF Serving's latency buckets: 10 µs × 1.8^i, 33 buckets. */
const LATENCY_BUCKETS_MICROS = Array.from({ length: 33 }, (_, i) => 10 * 1.8 ** i);
/** Batch-size buckets: powers of two up to 2^16, so mean and tail batch sizes both read well. */
const BATCH_SIZE_BUCKETS = Array.from({ length: 17 }, (_, i) => 2 ** i);

interface SuccessSeries {
  readonly ok: CounterChild;
  readonly latency: HistogramChild;
}

/**
 * The server's metrics, under TF Serving's names (`/tensorflow/serving/request_count` becomes
 * `:tensorflow:serving:request_count` in Prometheus text) so existing dashboards keep working, with
 * the model version added where a request resolved one; plus process metrics (RSS, event-loop lag).
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly requestCount: LabelledCounter<'model_name' | 'status' | 'entrypoint'>;
  readonly requestLatency: LabelledHistogram<'model_name' | 'model_version' | 'API' | 'entrypoint'>;
  readonly runtimeLatency: LabelledHistogram<'model_name' | 'model_version' | 'API' | 'runtime'>;
  readonly queuingLatency: LabelledHistogram<'thread_pool_name' | 'model_name' | 'model_version'>;
  readonly inputBatchSize: LabelledHistogram<'thread_pool_name' | 'model_name' | 'model_version'>;
  readonly processedBatchSize: LabelledHistogram<'thread_pool_name' | 'model_name' | 'model_version'>;
  readonly paddingSize: LabelledHistogram<'execution_batch_size' | 'model_name' | 'model_version'>;
  readonly wrappedRunCount: LabelledCounter<'thread_pool_name' | 'model_name' | 'model_version'>;

  /** Children by label values, so a request looks its series up once, with one Map access. */
  private readonly childCache: Map<string, CounterChild | HistogramChild>;
  /** entrypoint → API → model → version → the series a success updates. */
  private readonly successCache = new Map<string, Map<string, Map<string, Map<number | undefined, SuccessSeries>>>>();

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requestCount = new LabelledCounter({
      name: ':tensorflow:serving:request_count',
      help: 'Requests, by model and canonical status code.',
      labelNames: ['model_name', 'status', 'entrypoint'],
      registers,
    });
    this.requestLatency = new LabelledHistogram({
      name: ':tensorflow:serving:request_latency',
      help: 'Latency of successful requests in microseconds, decode to encode.',
      labelNames: ['model_name', 'model_version', 'API', 'entrypoint'],
      buckets: LATENCY_BUCKETS_MICROS,
      registers,
    });
    this.runtimeLatency = new LabelledHistogram({
      name: ':tensorflow:serving:runtime_latency',
      help: 'Latency of model runs in microseconds (one per batch when batching).',
      labelNames: ['model_name', 'model_version', 'API', 'runtime'],
      buckets: LATENCY_BUCKETS_MICROS,
      registers,
    });
    this.queuingLatency = new LabelledHistogram({
      name: ':tensorflow:serving:batching_session:queuing_latency',
      help: 'Time a task waited in the batch queue, in microseconds.',
      labelNames: ['thread_pool_name', 'model_name', 'model_version'],
      buckets: LATENCY_BUCKETS_MICROS,
      registers,
    });
    this.inputBatchSize = new LabelledHistogram({
      name: ':tensorflow:serving:batching_session:input_batch_size',
      help: 'Rows per request entering the batcher.',
      labelNames: ['thread_pool_name', 'model_name', 'model_version'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.processedBatchSize = new LabelledHistogram({
      name: ':tensorflow:serving:batching_session:processed_batch_size',
      help: 'Rows per batch run, padding included.',
      labelNames: ['thread_pool_name', 'model_name', 'model_version'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.paddingSize = new LabelledHistogram({
      name: ':tensorflow:serving:batching_session:padding_size',
      help: 'Padding rows added to reach an allowed batch size.',
      labelNames: ['execution_batch_size', 'model_name', 'model_version'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.wrappedRunCount = new LabelledCounter({
      name: ':tensorflow:serving:batching_session:wrapped_run_count',
      help: 'Requests that went through the batcher.',
      labelNames: ['thread_pool_name', 'model_name', 'model_version'],
      registers,
    });
    this.childCache = new Map();
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  /**
   * One successful request: request_count with status OK and its request_latency, in microseconds. The pair of
   * series is found through nested maps of the label values (no key string to build per request).
   */
  countSuccess(modelName: string, version: number | undefined, api: string, entrypoint: string, micros: number): void {
    let byApi = this.successCache.get(entrypoint);
    if (byApi === undefined) this.successCache.set(entrypoint, (byApi = new Map()));
    let byModel = byApi.get(api);
    if (byModel === undefined) byApi.set(api, (byModel = new Map()));
    let byVersion = byModel.get(modelName);
    if (byVersion === undefined) byModel.set(modelName, (byVersion = new Map()));
    let series = byVersion.get(version);
    if (series === undefined) {
      series = {
        ok: this.requestCount.labels({ model_name: modelName, status: 'OK', entrypoint }),
        latency: this.requestLatency.labels({ model_name: modelName, model_version: version === undefined ? '' : String(version), API: api, entrypoint }),
      };
      byVersion.set(version, series);
    }
    series.ok.inc();
    series.latency.observe(micros);
  }

  /** Counts one request under TF Serving's request_count. */
  countRequest(modelName: string, status: string, entrypoint: string): void {
    const key = `c\u0000${modelName}\u0000${status}\u0000${entrypoint}`;
    let child = this.childCache.get(key) as CounterChild | undefined;
    if (child === undefined) {
      child = this.requestCount.labels({ model_name: modelName, status, entrypoint });
      this.childCache.set(key, child);
    }
    child.inc();
  }

  /** Records the latency of one successful request, in microseconds. */
  observeRequestLatency(modelName: string, version: string, api: string, entrypoint: string, micros: number): void {
    const key = `l\u0000${modelName}\u0000${version}\u0000${api}\u0000${entrypoint}`;
    let child = this.childCache.get(key) as HistogramChild | undefined;
    if (child === undefined) {
      child = this.requestLatency.labels({ model_name: modelName, model_version: version, API: api, entrypoint });
      this.childCache.set(key, child);
    }
    child.observe(micros);
  }
}
