/**
 * Carries one window of messages from the source to the sink: decode every body, predict the good ones in
 * one call (a failing call is split down to single instances, as in batch prediction), write the records,
 * and acknowledge each message only after the write that holds it resolved. A message fails permanently (bad
 * JSON, wrong shape, rejected by the model) or transiently (model server unreachable, overloaded or slow; the
 * sink failing): permanent failures become dead letters at once, transient ones are retried with backoff until
 * the message's attempts (its broker deliveries, then each retry here) reach `maxAttempts`. A message the broker
 * has already delivered more often than that (a worker died on it each time) becomes a dead letter unread.
 *
 * Dead letters are written until they succeed, however long that takes, because acknowledging a message that
 * is neither predicted nor dead-lettered would lose it. Once shutdown begins, nothing is retried: what is left
 * stays unacknowledged and the broker delivers it again later.
 */
import { ServingError, toServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import type { StreamMetrics } from '../../metrics/stream-metrics.js';
import type { PredictionTarget, RowOutcome } from '../batch-predict.js';
import type { GroupCommit } from './group-commit.js';
import { bodyText, NO_VALUE, type InstanceColumns, type MessageDecoder } from './message-decoder.js';
import type { ModelCallMerger } from './model-call-merger.js';
import { backoffMs, isTransient, sleep, type BackoffOptions } from './retry-policy.js';
import type { DeadLetter, PredictionRecord, StreamMessage, StreamSink, StreamSource } from './stream-contracts.js';

/** The model a stream runs on, resolved once at the start so every record names the same version. */
export interface StreamModel {
  readonly target: PredictionTarget;
  readonly name: string;
  readonly version: number;
}

/** Counts since the worker started (the run's summary). */
export interface StreamCounters {
  received: number;
  predicted: number;
  deadLettered: number;
  retries: number;
  acked: number;
  windows: number;
}

export interface WindowContext {
  readonly source: StreamSource;
  readonly sink: StreamSink;
  /** Where dead letters go (the sink itself unless --dead-letter names another place). */
  readonly deadLetters: StreamSink;
  /** The three calls windows make, shared by the windows in flight (see group-commit.ts). */
  readonly writeRecords: GroupCommit<PredictionRecord>;
  readonly writeLetters: GroupCommit<DeadLetter>;
  readonly ack: GroupCommit<StreamMessage>;
  /** The model calls of the windows in flight (see model-call-merger.ts). */
  readonly modelCalls: ModelCallMerger;
  readonly decoder: MessageDecoder;
  readonly model: StreamModel;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** Aborted when the worker is shutting down. */
  readonly shutdown: AbortSignal;
  readonly counters: StreamCounters;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics | undefined;
}

/**
 * Messages still to be predicted. Columns rather than an object per message, here and below: a window holds
 * hundreds of messages. A message's attempt is its broker delivery count plus the window's retries so far (each
 * retry retries every message still in the window), so it needs no column of its own.
 */
interface PendingColumns extends InstanceColumns {
  readonly messages: StreamMessage[];
}

/** Predictions waiting to be written. */
interface UnwrittenColumns {
  readonly messages: StreamMessage[];
  readonly records: PredictionRecord[];
}

/** A message that failed for good, and on which attempt. */
interface Failed {
  readonly message: StreamMessage;
  readonly error: ServingError;
  readonly attempt: number;
}

const noPending = (): PendingColumns => ({ messages: [], instances: [], values: [] });
const noUnwritten = (): UnwrittenColumns => ({ messages: [], records: [] });

export async function processWindow(context: WindowContext, messages: readonly StreamMessage[], openedAt: number): Promise<void> {
  const { decoder, maxAttempts } = context;
  let pending = noPending();
  let dead: Failed[] = [];
  for (const message of messages) {
    if (message.deliveries > maxAttempts) {
      const error = new ServingError('ABORTED', `delivered ${message.deliveries} times without being acknowledged, more than --max-attempts ${maxAttempts}`);
      dead.push({ message, error, attempt: message.deliveries });
      continue;
    }
    const problem = decoder.decode(message.body, pending);
    if (problem !== undefined) {
      dead.push({ message, error: new ServingError('INVALID_ARGUMENT', problem), attempt: message.deliveries });
    } else {
      pending.messages.push(message);
    }
  }
  let unwritten = noUnwritten();
  let retry = 0;
  for (;;) {
    const again = noPending();
    if (pending.messages.length > 0) {
      const outcomes = await predict(context.modelCalls, pending, retry > 0);
      const predictionTimeMs = Date.now();
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]!;
        const message = pending.messages[i]!;
        const attempt = message.deliveries + retry;
        if ('prediction' in outcome) {
          unwritten.messages.push(message);
          unwritten.records.push(recordOf(context.model, message, pending.instances[i]!, outcome.prediction, predictionTimeMs));
        } else if (isTransient(outcome.error) && attempt < maxAttempts) {
          again.messages.push(message);
          again.instances.push(pending.instances[i]!);
          again.values.push(pending.values[i]);
        } else {
          dead.push({ message, error: outcome.error, attempt });
        }
      }
    }
    if (unwritten.records.length > 0) {
      const failure = await writeRecords(context, unwritten);
      const kept = noUnwritten();
      if (failure !== undefined) {
        for (let i = 0; i < unwritten.records.length; i++) {
          const message = unwritten.messages[i]!;
          const attempt = message.deliveries + retry;
          if (attempt >= maxAttempts) {
            dead.push({ message, error: failure, attempt });
          } else {
            kept.messages.push(message);
            kept.records.push(unwritten.records[i]!);
          }
        }
        context.counters.retries += kept.records.length;
        context.metrics?.retries.inc({ stage: 'sink' }, kept.records.length);
      }
      unwritten = kept;
    }
    if (dead.length > 0) {
      await writeDeadLetters(context, dead, messages.length);
      dead = [];
    }
    if (again.messages.length > 0) {
      context.counters.retries += again.messages.length;
      context.metrics?.retries.inc({ stage: 'predict' }, again.messages.length);
    }
    pending = again;
    if (pending.messages.length === 0 && unwritten.records.length === 0) break;
    if (context.shutdown.aborted) {
      const left = pending.messages.length + unwritten.records.length;
      context.logger.log('warn', 'stream_retry_abandoned', { messages: left, reason: 'shutting down; the broker will deliver them again' });
      return;
    }
    retry++;
    await sleep(backoffMs(context.backoff, retry), context.shutdown);
  }
  context.metrics?.windowLatency.observe((performance.now() - openedAt) / 1000);
}

/** `retried`: this window's call is a retry, which goes alone (see model-call-merger.ts). */
function predict(modelCalls: ModelCallMerger, pending: PendingColumns, retried: boolean): Promise<RowOutcome[]> {
  const exact = !pending.values.includes(NO_VALUE);
  return modelCalls.predict(pending.instances, exact ? pending.values : undefined, retried);
}

/** Writes and acknowledges the records; returns the failure (as UNAVAILABLE) when the sink did not take them. */
async function writeRecords(context: WindowContext, unwritten: UnwrittenColumns): Promise<ServingError | undefined> {
  const { records } = unwritten;
  try {
    await context.writeRecords.submit(records);
  } catch (err) {
    const error = new ServingError('UNAVAILABLE', `sink ${context.sink.display} did not store ${records.length} records: ${toServingError(err).message}`);
    context.logger.log('warn', 'stream_sink_write_failed', { records: records.length, error: error.message });
    return error;
  }
  context.counters.predicted += records.length;
  context.metrics?.done.inc({ outcome: 'predicted' }, records.length);
  if (context.metrics !== undefined) for (const record of records) context.metrics.endToEndLatency.observe(Math.max(0, record.predictionTimeMs - record.eventTimeMs) / 1000);
  acknowledge(context, context.sink, unwritten.messages);
  return undefined;
}

/** Writes dead letters until the sink takes them (or shutdown begins), then acknowledges their messages. */
async function writeDeadLetters(context: WindowContext, failed: readonly Failed[], windowSize: number): Promise<void> {
  const letters = failed.map(({ message, error, attempt }) => letterOf(message, error, attempt));
  for (let failures = 0; ; failures++) {
    try {
      await context.writeLetters.submit(letters);
      break;
    } catch (err) {
      const message = toServingError(err).message;
      context.logger.log('error', 'stream_dead_letter_write_failed', { letters: letters.length, sink: context.deadLetters.display, error: message, failures: failures + 1 });
      if (context.shutdown.aborted) return;
      await sleep(backoffMs(context.backoff, failures + 1), context.shutdown);
    }
  }
  context.counters.deadLettered += letters.length;
  for (const letter of letters) {
    context.metrics?.deadLetters.inc({ code: letter.error.slice(0, letter.error.indexOf(':')) });
    context.logger.log('warn', 'stream_dead_letter', { message_id: letter.messageId, error: letter.error, deliveries: letter.deliveries, window: windowSize });
  }
  context.metrics?.done.inc({ outcome: 'dead_lettered' }, letters.length);
  acknowledge(context, context.deadLetters, failed.map((f) => f.message));
}

/**
 * Hands the messages to the shared acknowledgement and returns without waiting for it: the window's slot is
 * free as soon as its rows are stored, and acknowledgements made meanwhile go out together. The runner waits
 * for the last ones before it returns. Nothing to send when the sink that stored them acknowledged them.
 */
function acknowledge(context: WindowContext, storedBy: StreamSink, messages: readonly StreamMessage[]): void {
  if (storedBy.acknowledgesSource === true) {
    context.counters.acked += messages.length;
    context.metrics?.acked.inc(messages.length);
    return;
  }
  void context.ack.submit(messages).then(
    () => {
      context.counters.acked += messages.length;
      context.metrics?.acked.inc(messages.length);
    },
    (err: unknown) => {
      // Harmless for correctness: the broker delivers them again (after ack_wait; on Redis, to another worker's claim
      // or this one's restart) and the sink ignores the repeat.
      context.metrics?.ackFailures.inc(messages.length);
      context.logger.log('warn', 'stream_ack_failed', { messages: messages.length, error: toServingError(err).message });
    },
  );
}

function recordOf(model: StreamModel, message: StreamMessage, instance: string, prediction: string, predictionTimeMs: number): PredictionRecord {
  return {
    messageId: message.id,
    instance,
    prediction,
    modelName: model.name,
    modelVersion: model.version,
    eventTimeMs: message.eventTimeMs,
    predictionTimeMs,
  };
}

function letterOf(message: StreamMessage, error: ServingError, attempt: number): DeadLetter {
  return {
    messageId: message.id,
    body: bodyText(message.body),
    error: `${error.code}: ${error.message}`,
    deliveries: attempt,
    eventTimeMs: message.eventTimeMs,
    failedTimeMs: Date.now(),
  };
}
