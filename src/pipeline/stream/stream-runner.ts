/**
 * The stream worker's main loop: read messages from a source into windows (`windowSize` messages, or what
 * came within `windowMs` of a window's first message, whichever fills first), and hand each window to the
 * window processor, which predicts, writes and acknowledges it. At most `maxInFlight` windows are in flight;
 * while that many are, nothing is read (backpressure: unread messages wait in the broker, where other workers
 * of the group can take them). `stop()` ends reading, sends the partly filled window on its way, waits for
 * every window in flight to be written and acknowledged, and returns.
 */
import { toServingError, type ServingError } from '../../errors/serving-error.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import type { StreamMetrics } from '../../metrics/stream-metrics.js';
import type { MessageDecoder } from './message-decoder.js';
import { backoffMs, DEFAULT_BACKOFF, isTransient, sleep, type BackoffOptions } from './retry-policy.js';
import type { StreamMessage, StreamSink, StreamSource } from './stream-contracts.js';
import { processWindow, type StreamCounters, type StreamModel, type WindowContext } from './window-processor.js';

export interface StreamRunnerOptions {
  readonly source: StreamSource;
  readonly sink: StreamSink;
  /** Where dead letters go; absent: the sink's own dead-letter place. */
  readonly deadLetters?: StreamSink | undefined;
  readonly model: StreamModel;
  readonly decoder: MessageDecoder;
  /** Messages per window; 1 predicts each message on its own. */
  readonly windowSize: number;
  /** How long a window waits for more messages after its first; 0 sends whatever one read returned. */
  readonly windowMs: number;
  /** Windows being predicted or written at once. */
  readonly maxInFlight: number;
  /** Attempts of a message (broker deliveries included) before a transient failure makes it a dead letter. */
  readonly maxAttempts: number;
  readonly backoff?: BackoffOptions | undefined;
  /** Longest a read waits for a first message; a stop is noticed within it. */
  readonly pollMs?: number | undefined;
  /** Stop by itself after this long with nothing read and nothing in flight; 0 runs until stopped. */
  readonly idleExitMs?: number | undefined;
  /** Interval of progress log lines; 0 for none. */
  readonly progressIntervalMs?: number | undefined;
  readonly logger?: Logger | undefined;
  readonly metrics?: StreamMetrics | undefined;
}

export interface StreamSummary extends StreamCounters {
  readonly elapsedMs: number;
  /** Why the loop ended. */
  readonly reason: 'stopped' | 'idle';
}

export const DEFAULT_POLL_MS = 500;

/**
 * A window whose model call failed transiently is retried whole: splitting it (as batch prediction does to
 * isolate a bad row) would only multiply the calls to a model server that is already struggling.
 */
function splitUnlessTransient(splitOn: ((error: ServingError) => boolean) | undefined): (error: ServingError) => boolean {
  return (error) => !isTransient(error) && (splitOn?.(error) ?? true);
}

export class StreamRunner {
  private readonly shutdown = new AbortController();
  private readonly counters: StreamCounters = { received: 0, predicted: 0, deadLettered: 0, retries: 0, acked: 0, windows: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger: Logger;

  constructor(private readonly options: StreamRunnerOptions) {
    for (const name of ['windowSize', 'maxInFlight', 'maxAttempts'] as const) {
      if (!Number.isInteger(options[name]) || options[name] < 1) throw new RangeError(`${name} must be a positive integer, got ${options[name]}`);
    }
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must not be negative, got ${options.windowMs}`);
    this.logger = options.logger ?? silentLogger;
  }

  /** Ends reading; `run()` then drains the windows in flight and returns. */
  stop(): void {
    this.shutdown.abort();
  }

  get stopping(): boolean {
    return this.shutdown.signal.aborted;
  }

  async run(): Promise<StreamSummary> {
    const o = this.options;
    const started = performance.now();
    const context: WindowContext = {
      source: o.source,
      sink: o.sink,
      deadLetters: o.deadLetters ?? o.sink,
      decoder: o.decoder,
      model: { ...o.model, target: { ...o.model.target, splitOn: splitUnlessTransient(o.model.target.splitOn) } },
      maxAttempts: o.maxAttempts,
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      shutdown: this.shutdown.signal,
      counters: this.counters,
      logger: this.logger,
      metrics: o.metrics,
    };
    const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
    const progress = o.progressIntervalMs !== undefined && o.progressIntervalMs > 0 ? setInterval(() => this.logProgress(started), o.progressIntervalMs) : undefined;
    this.logger.log('info', 'stream_started', {
      source: o.source.display,
      sink: o.sink.display,
      dead_letters: context.deadLetters.display,
      model: o.model.name,
      version: o.model.version,
      window_size: o.windowSize,
      window_ms: o.windowMs,
      max_in_flight: o.maxInFlight,
      max_attempts: o.maxAttempts,
    });
    const partial: StreamMessage[] = [];
    let openedAt = 0;
    let lastActive = performance.now();
    let readFailures = 0;
    let reason: StreamSummary['reason'] = 'stopped';
    try {
      while (!this.stopping) {
        while (this.inFlight.size >= o.maxInFlight) await Promise.race(this.inFlight);
        const want = o.windowSize * (o.maxInFlight - this.inFlight.size) - partial.length;
        const wait = partial.length === 0 ? pollMs : Math.max(0, openedAt + o.windowMs - performance.now());
        let got: StreamMessage[];
        try {
          got = await o.source.receive(want, Math.ceil(wait));
          readFailures = 0;
        } catch (err) {
          const error = toServingError(err);
          if (!isTransient(error)) throw error;
          readFailures++;
          this.logger.log('warn', 'stream_read_failed', { source: o.source.display, error: `${error.code}: ${error.message}`, failures: readFailures });
          await sleep(backoffMs(context.backoff, readFailures), this.shutdown.signal);
          continue;
        }
        const now = performance.now();
        if (got.length > 0) {
          this.counters.received += got.length;
          o.metrics?.received.inc(got.length);
          if (partial.length === 0) openedAt = now;
          partial.push(...got);
          while (partial.length >= o.windowSize) {
            this.dispatch(context, partial.splice(0, o.windowSize), openedAt);
            openedAt = now;
          }
        }
        if (partial.length > 0 && now >= openedAt + o.windowMs) this.dispatch(context, partial.splice(0), openedAt);
        if (got.length > 0 || partial.length > 0 || this.inFlight.size > 0) lastActive = now;
        else if (o.idleExitMs !== undefined && o.idleExitMs > 0 && now - lastActive >= o.idleExitMs) {
          reason = 'idle';
          break;
        }
      }
      if (partial.length > 0) this.dispatch(context, partial.splice(0), openedAt);
    } finally {
      // Whatever ended the loop, windows already read are finished (or left unacknowledged) before returning.
      this.shutdown.abort();
      await Promise.all(this.inFlight);
      if (progress !== undefined) clearInterval(progress);
    }
    const summary: StreamSummary = { ...this.counters, elapsedMs: performance.now() - started, reason };
    this.logger.log('info', 'stream_stopped', { ...summary, elapsedMs: Math.round(summary.elapsedMs) });
    return summary;
  }

  private dispatch(context: WindowContext, window: StreamMessage[], openedAt: number): void {
    this.counters.windows++;
    this.options.metrics?.windowSize.observe(window.length);
    const done: Promise<void> = processWindow(context, window, openedAt)
      .catch((err: unknown) => {
        // Not expected (the processor reports failures itself); the window stays unacknowledged for redelivery.
        this.logger.log('error', 'stream_window_failed', { messages: window.length, error: toServingError(err).message });
      })
      .finally(() => {
        this.inFlight.delete(done);
        this.options.metrics?.windowsInFlight.set(this.inFlight.size);
      });
    this.inFlight.add(done);
    this.options.metrics?.windowsInFlight.set(this.inFlight.size);
  }

  private logProgress(started: number): void {
    const seconds = (performance.now() - started) / 1000;
    this.logger.log('info', 'stream_progress', { ...this.counters, in_flight: this.inFlight.size, rate: Math.round(this.counters.acked / Math.max(seconds, 1e-3)) });
  }
}
