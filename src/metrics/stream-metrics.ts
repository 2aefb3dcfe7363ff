import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LabelledHistogram, type HistogramChild } from './labelled-metrics.js';

/** End-to-end and window latencies in seconds: 1 ms to about 2 minutes. */
const LATENCY_BUCKETS_SECONDS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120];
/** Window sizes: powers of two up to 2^14. */
const WINDOW_SIZE_BUCKETS = Array.from({ length: 15 }, (_, i) => 2 ** i);

/**
 * A stream worker's metrics (`millrace stream --metrics_port`): messages by outcome, retries by stage, window
 * sizes and latencies, end-to-end latency (prediction time − event time), windows in flight; plus process
 * metrics (RSS, event-loop lag).
 */
export class StreamMetrics {
  readonly registry = new Registry();
  readonly received: Counter;
  /** Messages done, by outcome: `predicted` (a row in the sink) or `dead_lettered`. */
  readonly done: Counter<'outcome'>;
  readonly deadLetters: Counter<'code'>;
  /** Attempts repeated after a transient failure, by stage: `predict` or `sink`. */
  readonly retries: Counter<'stage'>;
  readonly acked: Counter;
  readonly ackFailures: Counter;
  readonly windowSize: Histogram;
  /** From the first message of a window read to every message of it stored or dead-lettered. */
  readonly windowLatency: Histogram;
  /** Observed for every message: a LabelledHistogram, which records in a few operations (prom-client's Histogram costs about 0.2 µs per observation). */
  readonly endToEndLatency: HistogramChild;
  readonly windowsInFlight: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.received = new Counter({ name: 'millrace_stream_messages_received_total', help: 'Messages read from the source, redeliveries included.', registers });
    this.done = new Counter({
      name: 'millrace_stream_messages_total',
      help: 'Messages finished and acknowledged, by outcome (predicted, dead_lettered).',
      labelNames: ['outcome'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'millrace_stream_dead_letters_total', help: 'Dead letters written, by canonical error code.', labelNames: ['code'], registers });
    this.retries = new Counter({
      name: 'millrace_stream_retries_total',
      help: 'Attempts repeated after a transient failure, by stage (predict, sink).',
      labelNames: ['stage'],
      registers,
    });
    this.acked = new Counter({ name: 'millrace_stream_acks_total', help: 'Messages acknowledged to the source.', registers });
    this.ackFailures = new Counter({ name: 'millrace_stream_ack_failures_total', help: 'Acknowledgements that failed (the messages will be redelivered).', registers });
    this.windowSize = new Histogram({ name: 'millrace_stream_window_size', help: 'Messages per window.', buckets: WINDOW_SIZE_BUCKETS, registers });
    this.windowLatency = new Histogram({
      name: 'millrace_stream_window_latency_seconds',
      help: 'From the first message of a window read to every message of it stored in the sink or dead-lettered.',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    const endToEndLatency = new LabelledHistogram({
      name: 'millrace_stream_end_to_end_latency_seconds',
      help: 'Prediction time minus event (publish) time of each predicted message.',
      labelNames: [],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    endToEndLatency.zero({});
    this.endToEndLatency = endToEndLatency.labels({});
    this.windowsInFlight = new Gauge({ name: 'millrace_stream_windows_in_flight', help: 'Windows being predicted or written.', registers });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }
}
