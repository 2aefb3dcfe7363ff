/**
 * The stream worker's main loop: read messages from a source into windows (`windowSize` messages, or what
 * came within `windowMs` of a window's first message, whichever fills first), and hand each window to the
 * window processor, which predicts, writes and acknowledges it. At most `maxInFlight` windows are in flight,
 * and at most `readAhead` more messages are read ahead of them; beyond that nothing is read (backpressure: unread
 * messages wait in the broker, where other workers of the group can take them). A source with an end (a file,
 * stdin) ends the loop once its input is read and acknowledged. `stop()` ends reading, sends
 * what was read on its way in windows, waits for every window to be written and acknowledged, and returns.
 */
import { toServingError, type ServingError } from '../../errors/serving-error.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import type { StreamMetrics } from '../../metrics/stream-metrics.js';
import { GroupCommit } from './group-commit.js';
import type { MessageDecoder } from './message-decoder.js';
import { ModelCallMerger } from './model-call-merger.js';
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
  /** Messages read ahead of the windows in flight (default: see defaultReadAhead; never less than a window). */
  readonly readAhead?: number | undefined;
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
  /** Why the loop ended: stopped, idle for idleExitMs, or the source's input ended and was all acknowledged. */
  readonly reason: 'stopped' | 'idle' | 'exhausted';
}

export const DEFAULT_POLL_MS = 500;

/** Rows in one merged model call at most (a window larger than this still goes whole). */
const MAX_MERGED_ROWS = 1024;

/**
 * Windows in flight when --max_in_flight is not given: about 512 messages in flight keep the model and the sink
 * busy while the next windows are read (bench/streams.md: window 16 went from 0.28x to 0.52x the raw loop with
 * 32 in flight, p99 unchanged); never fewer than 4 windows nor more than 32.
 */
export function defaultMaxInFlight(windowSize: number): number {
  return Math.max(4, Math.min(32, Math.ceil(512 / windowSize)));
}

/** One full set of windows, and at least 128 messages so that reads stay large when windows are small. */
export function defaultReadAhead(windowSize: number, maxInFlight: number): number {
  return Math.max(windowSize * maxInFlight, 128);
}

/**
 * A window whose model call failed transiently is retried whole: splitting it (as batch prediction does to
 * isolate a bad row) would only multiply the calls to a model server that is already struggling.
 */
function splitUnlessTransient(splitOn: ((error: ServingError) => boolean) | undefined): (error: ServingError) => boolean {
  return (error) => !isTransient(error) && (splitOn?.(error) ?? true);
}

/**
 * Records per shared sink write: half of what the windows in flight hold, so that one half is written while the
 * other is predicted (see group-commit.ts), but never fewer than MIN_SHARED_WRITE: below that a write's fixed
 * cost outweighs what the overlap gains (bench/streams.md: window 128 gains about an eighth of its throughput,
 * window 16 with 4 windows in flight loses CPU). Not for a sink that writes in this process (stdout), where
 * nothing overlaps and smaller writes only cost more.
 */
export function sharedWriteLimit(windowSize: number, maxInFlight: number): number {
  return Math.max(windowSize * Math.floor(maxInFlight / 2), MIN_SHARED_WRITE);
}
const MIN_SHARED_WRITE = 256;

/** Whether a source with an end has handed out and seen acknowledged all of its input (acks in flight awaited). */
async function sourceExhausted(source: StreamSource, context: WindowContext): Promise<boolean> {
  if (source.exhausted === undefined) return false;
  await context.ack.idle();
  return source.exhausted;
}

export class StreamRunner {
  private readonly shutdown = new AbortController();
  private readonly counters: StreamCounters = { received: 0, predicted: 0, deadLettered: 0, retries: 0, acked: 0, windows: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger: Logger;

  constructor(private readonly options: StreamRunnerOptions) {
    if (options.readAhead !== undefined && !(Number.isInteger(options.readAhead) && options.readAhead >= 1)) throw new RangeError(`readAhead must be a positive integer, got ${options.readAhead}`);
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
    const deadLetters = o.deadLetters ?? o.sink;
    const target = { ...o.model.target, splitOn: splitUnlessTransient(o.model.target.splitOn) };
    const context: WindowContext = {
      source: o.source,
      sink: o.sink,
      deadLetters,
      writeRecords: new GroupCommit((records) => o.sink.write(records), o.sink.inProcess === true ? undefined : sharedWriteLimit(o.windowSize, o.maxInFlight)),
      writeLetters: new GroupCommit((letters) => deadLetters.writeDeadLetters(letters)),
      ack: new GroupCommit((messages) => o.source.ack(messages)),
      decoder: o.decoder,
      modelCalls: new ModelCallMerger(target, o.windowSize > 1, Math.max(o.windowSize, MAX_MERGED_ROWS)),
      model: { ...o.model, target },
      maxAttempts: o.maxAttempts,
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      shutdown: this.shutdown.signal,
      counters: this.counters,
      logger: this.logger,
      metrics: o.metrics,
    };
    const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
    // A freed slot finds its next window already read; reading only once half of that is used up keeps reads
    // large even when windows are small.
    // At least one window, or a partial window could fill the read-ahead with no slot busy to wait for.
    const readAhead = Math.max(o.readAhead ?? defaultReadAhead(o.windowSize, o.maxInFlight), o.windowSize);
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
      read_ahead: readAhead,
      max_attempts: o.maxAttempts,
    });
    /** Messages read and not yet in a window, oldest first, and when each was read (two arrays: no object per message). */
    const buffered: StreamMessage[] = [];
    const readAt: number[] = [];
    let lastActive = performance.now();
    let readFailures = 0;
    let nothingNew = false;
    let reason: StreamSummary['reason'] = 'stopped';
    /** Sends the oldest messages read (up to a window) on their way, opened when the first of them was read. */
    const dispatchOldest = (): void => {
      const openedAt = readAt[0]!;
      readAt.splice(0, o.windowSize);
      this.dispatch(context, buffered.splice(0, o.windowSize), openedAt);
    };
    const dispatchReady = (now: number): void => {
      while (buffered.length > 0 && this.inFlight.size < o.maxInFlight) {
        if (buffered.length < o.windowSize && now < readAt[0]! + o.windowMs) return;
        dispatchOldest();
      }
    };
    try {
      while (!this.stopping) {
        dispatchReady(performance.now());
        const slotFree = this.inFlight.size < o.maxInFlight;
        const room = readAhead - buffered.length;
        if (room <= 0 || (!slotFree && (nothingNew || buffered.length > readAhead / 2))) {
          // Read ahead as far as allowed, or nothing more to read: wait for a window to finish.
          await Promise.race(this.inFlight);
          nothingNew = false;
          continue;
        }
        // Block only with nothing to hand out; a partial window waits at most until its window time is up.
        const wait = buffered.length === 0 ? pollMs : slotFree ? Math.max(0, readAt[0]! + o.windowMs - performance.now()) : 0;
        let got: StreamMessage[];
        try {
          got = await o.source.receive(room, Math.ceil(wait));
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
        nothingNew = got.length === 0;
        if (got.length > 0) {
          this.counters.received += got.length;
          o.metrics?.received.inc(got.length);
          for (const message of got) {
            buffered.push(message);
            readAt.push(now);
          }
        }
        if (got.length > 0 || buffered.length > 0 || this.inFlight.size > 0) lastActive = now;
        else if (await sourceExhausted(o.source, context)) {
          reason = 'exhausted';
          break;
        } else if (o.idleExitMs !== undefined && o.idleExitMs > 0 && now - lastActive >= o.idleExitMs) {
          reason = 'idle';
          break;
        }
      }
      // Stopping: what was read still goes out, in windows, before the drain below.
      while (buffered.length > 0) {
        while (this.inFlight.size >= o.maxInFlight) await Promise.race(this.inFlight);
        dispatchOldest();
      }
    } finally {
      // Whatever ended the loop, windows already read are finished (or left unacknowledged) before returning.
      this.shutdown.abort();
      await Promise.all(this.inFlight);
      await context.ack.idle();
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
