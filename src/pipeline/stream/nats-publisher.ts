/**
 * Publishes message bodies to a JetStream subject, for `millrace simulate`: `nats://host:port/SUBJECT?stream=S`.
 * It takes the same URL as the source (consumer parameters are accepted and ignored), and creates the stream
 * the same way when it is missing, so `simulate` may run before the first worker starts.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { ServingError } from '../../errors/serving-error.js';
import { asServingError, checkPublishSubject, closeNatsSession, ensureStream, openNatsSession, type NatsSession } from './nats-connection.js';
import { parseNatsSourceUrl } from './nats-source.js';
import type { StreamPublisher } from './stream-publisher.js';

export class NatsJetStreamPublisher implements StreamPublisher {
  readonly display: string;
  private readonly client: JetStreamClient;

  private constructor(
    private readonly subject: string,
    private readonly session: NatsSession,
    display: string,
  ) {
    this.display = display;
    this.client = jetstream(session.connection);
  }

  static async open(text: string): Promise<NatsJetStreamPublisher> {
    const settings = parseNatsSourceUrl(text);
    checkPublishSubject(settings.url.display, settings.subject);
    const session = await openNatsSession(settings.url);
    try {
      await ensureStream(session, settings.url.display, settings.stream, settings.subject, [settings.subject], settings.duplicateWindowMs);
    } catch (err) {
      await closeNatsSession(session);
      throw asServingError(settings.url.display, err);
    }
    return new NatsJetStreamPublisher(settings.subject, session, settings.url.display);
  }

  async publish(bodies: readonly string[]): Promise<void> {
    // Sent back to back on one connection, so the stream stores them in order; then every PubAck is awaited.
    const acks = await Promise.allSettled(bodies.map((body) => this.client.publish(this.subject, body)));
    const failed = acks.filter((ack): ack is PromiseRejectedResult => ack.status === 'rejected');
    if (failed.length > 0) {
      const why = (failed[0]!.reason as Error).message ?? String(failed[0]!.reason);
      throw new ServingError('UNAVAILABLE', `${this.display}: ${failed.length} of ${bodies.length} publishes not acknowledged: ${why}`);
    }
  }

  async close(): Promise<void> {
    await closeNatsSession(this.session);
  }
}
