/**
 * A JetStream durable pull consumer as a stream source: `nats://[user:password@]host:port[,host:port…]/SUBJECT?stream=S&consumer=C`.
 *
 * - The stream (capturing SUBJECT) and the durable consumer (explicit ack, filtered on SUBJECT, from the first
 *   message) are created when missing. Workers naming the same consumer share its messages.
 * - Message id = the stream sequence; event time = the time the server stored the message; deliveries = the
 *   server's delivery count, so a message redelivered after a worker died counts up.
 * - `ack` sends a confirmed ack (`+ACK` awaiting the server's reply), after the runner wrote the sink. A message
 *   not acked within `ack_wait` is redelivered by the server, to this worker or another one.
 *
 * Parameters: `stream` (default: SUBJECT with `.`, `*`, `>` replaced by `_`), `consumer` (default `millrace`),
 * `ack_wait` (default: the runner's `--claim-idle-ms`, else 30s), `max_deliver` (default -1, unlimited: the runner's `--max-attempts` decides when a
 * message becomes a dead letter; a smaller value makes the server give up first and such a message is then
 * neither predicted nor dead-lettered), `max_ack_pending` (default 1000, the server's flow control),
 * `buffer` (default 256, messages pulled ahead of `receive`), `duplicate_window` (default 2m, for a stream
 * created here). `ack_wait`, `max_deliver` and `max_ack_pending`, when given, are applied to an existing consumer too.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstream, type Consumer, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { ServingError } from '../../errors/serving-error.js';
import { durationParam, integerParam, parseBrokerUrl, rejectUnknownParams, brokerUrlError, type BrokerUrl } from './broker-url.js';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  NATS_DEFAULT_PORT,
  asServingError,
  checkStreamName,
  closeNatsSession,
  ensureStream,
  nanos,
  openNatsSession,
  streamNameFor,
  type NatsSession,
} from './nats-connection.js';
import { TIMED_OUT, readyOrTimeout } from './ready-or-timeout.js';
import type { StreamMessage, StreamSource } from './stream-contracts.js';

export interface NatsSourceSettings {
  readonly url: BrokerUrl;
  readonly subject: string;
  readonly stream: string;
  readonly consumer: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending: number;
  readonly buffer: number;
  readonly duplicateWindowMs: number;
  /** The consumer settings the URL gave explicitly (applied to an existing consumer too). */
  readonly explicit: Partial<Pick<ConsumerConfig, 'ack_wait' | 'max_deliver' | 'max_ack_pending'>>;
}

const PARAMS = ['stream', 'consumer', 'ack_wait', 'max_deliver', 'max_ack_pending', 'buffer', 'duplicate_window'];
const CONSUMER_NOT_FOUND = 10014;

/** `defaultAckWaitMs`: the `ack_wait` of a consumer created here when the URL gives none (`--claim-idle-ms`). */
export function parseNatsSourceUrl(text: string, defaultAckWaitMs = 30_000): NatsSourceSettings {
  const url = parseBrokerUrl(text, NATS_DEFAULT_PORT);
  if (url.scheme !== 'nats') throw brokerUrlError(url.display, 'a NATS source URL starts with nats://');
  rejectUnknownParams(url, PARAMS);
  const subject = url.name;
  if (subject === '' || /\s/.test(subject) || subject.split('.').some((token) => token === '')) {
    throw brokerUrlError(url.display, `give the subject as the path, e.g. nats://127.0.0.1:4222/events?stream=EVENTS&consumer=millrace (got "${subject}")`);
  }
  const stream = url.params.get('stream') ?? streamNameFor(subject);
  const consumer = url.params.get('consumer') ?? 'millrace';
  checkStreamName(url.display, stream, 'stream');
  checkStreamName(url.display, consumer, 'consumer');
  const ackWaitMs = durationParam(url, 'ack_wait', defaultAckWaitMs, 100);
  const maxDeliver = integerParam(url, 'max_deliver', -1, -1);
  if (maxDeliver === 0) throw brokerUrlError(url.display, 'max_deliver=0 would deliver nothing; give -1 (unlimited) or a count ≥ 1');
  const maxAckPending = integerParam(url, 'max_ack_pending', 1000, 1);
  const buffer = integerParam(url, 'buffer', 256, 1, 100_000);
  const duplicateWindowMs = durationParam(url, 'duplicate_window', DEFAULT_DUPLICATE_WINDOW_MS, 100);
  const explicit: NatsSourceSettings['explicit'] = {
    ...(url.params.has('ack_wait') ? { ack_wait: nanos(ackWaitMs) } : {}),
    ...(url.params.has('max_deliver') ? { max_deliver: maxDeliver } : {}),
    ...(url.params.has('max_ack_pending') ? { max_ack_pending: maxAckPending } : {}),
  };
  return { url, subject, stream, consumer, ackWaitMs, maxDeliver, maxAckPending, buffer, duplicateWindowMs, explicit };
}

export class NatsJetStreamSource implements StreamSource {
  readonly display: string;
  /** Delivered and not yet acked, by message id: the latest delivery is the one to ack. */
  private readonly unacked = new Map<string, JsMsg>();
  private pendingNext: Promise<IteratorResult<JsMsg>> | undefined;
  private closed = false;
  private iterator: AsyncIterator<JsMsg>;

  private constructor(
    private readonly settings: NatsSourceSettings,
    private readonly session: NatsSession,
    private readonly consumer: Consumer,
    private messages: ConsumerMessages,
  ) {
    this.display = settings.url.display;
    this.iterator = messages[Symbol.asyncIterator]();
  }

  /** Connects, creates the stream and the consumer when missing, and starts pulling. */
  static async open(text: string, options: { readonly defaultAckWaitMs?: number } = {}): Promise<NatsJetStreamSource> {
    const settings = parseNatsSourceUrl(text, options.defaultAckWaitMs);
    const session = await openNatsSession(settings.url);
    try {
      await ensureStream(session, settings.url.display, settings.stream, settings.subject, [settings.subject], settings.duplicateWindowMs);
      await ensureConsumer(session, settings);
      const consumer = await jetstream(session.connection).consumers.get(settings.stream, settings.consumer);
      return new NatsJetStreamSource(settings, session, consumer, await pull(consumer, settings));
    } catch (err) {
      await closeNatsSession(session);
      throw asServingError(settings.url.display, err);
    }
  }

  async receive(max: number, waitMs: number): Promise<StreamMessage[]> {
    if (this.closed) throw new ServingError('FAILED_PRECONDITION', `${this.display}: the source is closed`);
    const out: StreamMessage[] = [];
    let wait = Math.max(0, waitMs);
    while (out.length < max) {
      const msg = await this.next(wait);
      if (msg === undefined) break;
      const message: StreamMessage = {
        id: String(msg.seq),
        body: msg.data,
        eventTimeMs: msg.time.getTime(),
        deliveries: msg.info.deliveryCount,
      };
      this.unacked.set(message.id, msg);
      out.push(message);
      // After the first message, take only what has already arrived.
      wait = 0;
    }
    return out;
  }

  async ack(messages: readonly StreamMessage[]): Promise<void> {
    const acks: Promise<boolean>[] = [];
    for (const message of messages) {
      const msg = this.unacked.get(message.id);
      if (msg === undefined) continue;
      this.unacked.delete(message.id);
      acks.push(msg.ackAck());
    }
    try {
      await Promise.all(acks);
    } catch (err) {
      // The server did not confirm in time: the messages come back after ack_wait and the sink deduplicates them.
      throw new ServingError('UNAVAILABLE', `${this.display}: acknowledgement not confirmed: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Pulled ahead but never handed out: give them back now rather than after ack_wait.
    for (let msg = await this.next(0); msg !== undefined; msg = await this.next(0)) msg.nak();
    await this.messages.close();
    await closeNatsSession(this.session);
  }

  /** The next pulled message, waiting at most `waitMs`; undefined when none came in time. */
  private async next(waitMs: number): Promise<JsMsg | undefined> {
    this.pendingNext ??= this.iterator.next();
    const result = await readyOrTimeout(this.pendingNext, waitMs);
    if (result === TIMED_OUT) return undefined;
    this.pendingNext = undefined;
    if (result.done === true) {
      if (this.closed) return undefined;
      // Pulling ended under us (the client gave up on the consumer): start again, and let the runner retry.
      const why = await this.messages.closed();
      this.messages = await pull(this.consumer, this.settings);
      this.iterator = this.messages[Symbol.asyncIterator]();
      throw new ServingError('UNAVAILABLE', `${this.display}: pulling from the consumer stopped${why instanceof Error ? `: ${why.message}` : ''}; restarted`);
    }
    return result.value;
  }
}

/** Keeps up to `buffer` messages pulled ahead; the client re-pulls as they are taken. */
function pull(consumer: Consumer, settings: NatsSourceSettings): Promise<ConsumerMessages> {
  return consumer.consume({ max_messages: settings.buffer, expires: 30_000 });
}

async function ensureConsumer(session: NatsSession, settings: NatsSourceSettings): Promise<void> {
  const { manager } = session;
  const display = settings.url.display;
  try {
    const info = await manager.consumers.info(settings.stream, settings.consumer);
    if (info.config.deliver_subject !== undefined && info.config.deliver_subject !== '') {
      throw new ServingError('FAILED_PRECONDITION', `${display}: consumer "${settings.consumer}" is a push consumer; give a pull consumer or a new name`);
    }
    if (info.config.ack_policy !== AckPolicy.Explicit) {
      throw new ServingError('FAILED_PRECONDITION', `${display}: consumer "${settings.consumer}" has ack_policy ${info.config.ack_policy}; it needs explicit acks`);
    }
    const changed = Object.entries(settings.explicit).some(([key, value]) => info.config[key as keyof ConsumerConfig] !== value);
    if (changed) await manager.consumers.update(settings.stream, settings.consumer, settings.explicit);
    return;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND)) throw asServingError(display, err);
  }
  await manager.consumers.add(settings.stream, {
    durable_name: settings.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: settings.subject,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending,
  });
}
