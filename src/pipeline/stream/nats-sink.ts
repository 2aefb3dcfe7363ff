/**
 * JetStream as a stream sink: `nats://[user:password@]host:port[,host:port…]/SUBJECT`.
 *
 * Each prediction is published to SUBJECT as one JSON object (see prediction-json.ts) with the header
 * `Nats-Msg-Id` set to the message id; each dead letter to `SUBJECT.dead` with `Nats-Msg-Id` = `dead:<id>`.
 * `write` resolves once the server acknowledged every publish, i.e. the records are stored. Idempotence comes
 * from JetStream's publish deduplication: a second publish with an id already seen within the stream's
 * duplicate window is acknowledged as a duplicate and not stored again. The window (JetStream's default 2m;
 * `duplicate_window` for a stream created here) must therefore be longer than the longest time a message can
 * take to come back (ack_wait of the source plus a worker restart).
 *
 * Opened for the dead-letter role (`--dead-letter nats://…/SUBJECT`), dead letters go to SUBJECT itself.
 *
 * When no stream captures SUBJECT, one is created (name: `stream` or SUBJECT with `.` replaced by `_`) capturing
 * SUBJECT and SUBJECT.dead. When an existing stream captures SUBJECT but none captures SUBJECT.dead, a second
 * stream `<name>_dead` is created for dead letters on the first one.
 */
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { ServingError } from '../../errors/serving-error.js';
import { durationParam, parseBrokerUrl, rejectUnknownParams, brokerUrlError, type BrokerUrl } from './broker-url.js';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  NATS_DEFAULT_PORT,
  asServingError,
  checkPublishSubject,
  checkStreamName,
  closeNatsSession,
  ensureStream,
  openNatsSession,
  streamCapturing,
  streamNameFor,
  type NatsSession,
} from './nats-connection.js';
import { deadLetterJson, deadLetterKey, predictionRecordJson } from './prediction-json.js';
import type { DeadLetter, PredictionRecord, StreamSink } from './stream-contracts.js';
import type { SinkRole } from './stream-endpoints.js';

export interface NatsSinkSettings {
  readonly url: BrokerUrl;
  /** Where predictions go; undefined for a sink of dead letters only. */
  readonly subject: string | undefined;
  readonly deadLetterSubject: string;
  readonly stream: string;
  readonly duplicateWindowMs: number;
}

export function parseNatsSinkUrl(text: string, role: SinkRole = 'predictions'): NatsSinkSettings {
  const url = parseBrokerUrl(text, NATS_DEFAULT_PORT);
  if (url.scheme !== 'nats') throw brokerUrlError(url.display, 'a NATS sink URL starts with nats://');
  rejectUnknownParams(url, ['stream', 'duplicate_window']);
  checkPublishSubject(url.display, url.name);
  const stream = url.params.get('stream') ?? streamNameFor(url.name);
  checkStreamName(url.display, stream, 'stream');
  const duplicateWindowMs = durationParam(url, 'duplicate_window', DEFAULT_DUPLICATE_WINDOW_MS, 100);
  if (role === 'dead-letters') return { url, subject: undefined, deadLetterSubject: url.name, stream, duplicateWindowMs };
  return { url, subject: url.name, deadLetterSubject: `${url.name}.dead`, stream, duplicateWindowMs };
}

export class NatsJetStreamSink implements StreamSink {
  readonly display: string;
  private readonly client: JetStreamClient;
  private deadLetterStreamReady = false;
  private duplicates = 0;

  private constructor(
    private readonly settings: NatsSinkSettings,
    private readonly session: NatsSession,
  ) {
    this.display = settings.url.display;
    this.client = jetstream(session.connection);
  }

  static async open(text: string, options: { readonly role?: SinkRole } = {}): Promise<NatsJetStreamSink> {
    const settings = parseNatsSinkUrl(text, options.role);
    const session = await openNatsSession(settings.url);
    try {
      const { subject, deadLetterSubject } = settings;
      const primary = subject ?? deadLetterSubject;
      if ((await streamCapturing(session.manager, primary)) === undefined) {
        const subjects = subject === undefined ? [deadLetterSubject] : [subject, deadLetterSubject];
        await ensureStream(session, settings.url.display, settings.stream, primary, subjects, settings.duplicateWindowMs);
      }
      return new NatsJetStreamSink(settings, session);
    } catch (err) {
      await closeNatsSession(session);
      throw asServingError(settings.url.display, err);
    }
  }

  /** Publishes acknowledged by the server as duplicates (already stored): redeliveries that the dedup absorbed. */
  get duplicatesSkipped(): number {
    return this.duplicates;
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    if (this.settings.subject === undefined) {
      throw new ServingError('FAILED_PRECONDITION', `${this.display}: this sink was opened for dead letters only`);
    }
    await this.publishAll(
      this.settings.subject,
      records.map((record) => ({ id: record.messageId, data: predictionRecordJson(record) })),
    );
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.ensureDeadLetterStream();
    await this.publishAll(
      this.settings.deadLetterSubject,
      letters.map((letter) => ({ id: deadLetterKey(letter.messageId), data: deadLetterJson(letter) })),
    );
  }

  async close(): Promise<void> {
    await closeNatsSession(this.session);
  }

  private async publishAll(subject: string, items: readonly { id: string; data: Uint8Array }[]): Promise<void> {
    // All publishes go out at once; each resolves with the server's PubAck once stored.
    const acks = await Promise.allSettled(items.map((item) => this.client.publish(subject, item.data, { msgID: item.id })));
    const failed = acks.filter((ack): ack is PromiseRejectedResult => ack.status === 'rejected');
    for (const ack of acks) if (ack.status === 'fulfilled' && (ack.value as PubAck).duplicate) this.duplicates++;
    if (failed.length > 0) {
      const why = (failed[0]!.reason as Error).message ?? String(failed[0]!.reason);
      throw new ServingError('UNAVAILABLE', `${this.display}: ${failed.length} of ${items.length} publishes to ${subject} not acknowledged: ${why}`);
    }
  }

  private async ensureDeadLetterStream(): Promise<void> {
    if (this.deadLetterStreamReady) return;
    const { deadLetterSubject, stream, duplicateWindowMs } = this.settings;
    const existing = await streamCapturing(this.session.manager, deadLetterSubject).catch((err: unknown) => {
      throw asServingError(this.display, err);
    });
    if (existing === undefined) {
      await ensureStream(this.session, this.display, `${stream}_dead`, deadLetterSubject, [deadLetterSubject], duplicateWindowMs);
    }
    this.deadLetterStreamReady = true;
  }
}
