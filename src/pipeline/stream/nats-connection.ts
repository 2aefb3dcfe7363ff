/**
 * What the NATS JetStream source, sink and publisher share: connecting from a `nats://` URL, and making sure a
 * stream captures a subject (creating it when none does). Stream and consumer creation are idempotent on the
 * server, so several workers starting at once all succeed.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, jetstreamManager, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { ServingError } from '../../errors/serving-error.js';
import type { BrokerUrl } from './broker-url.js';
import { brokerUrlError } from './broker-url.js';

export const NATS_DEFAULT_PORT = 4222;

/** JetStream's own default duplicate window (the span over which `Nats-Msg-Id` deduplicates). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

const STREAM_NOT_FOUND = 10059;

export interface NatsSession {
  readonly connection: NatsConnection;
  readonly manager: JetStreamManager;
}

/** Connects; `user:password@` becomes user/password authentication and a lone `token@` a token. */
export async function openNatsSession(url: BrokerUrl): Promise<NatsSession> {
  const auth =
    url.username === undefined ? {} : url.password === undefined ? { token: url.username } : { user: url.username, pass: url.password };
  let connection: NatsConnection;
  try {
    // A worker lives for hours: keep reconnecting through server restarts rather than giving up after 10 tries.
    connection = await connect({ servers: [...url.hosts], name: 'millrace', maxReconnectAttempts: -1, ...auth });
  } catch (err) {
    throw new ServingError('UNAVAILABLE', `${url.display}: cannot connect to NATS: ${(err as Error).message}`);
  }
  try {
    const manager = await jetstreamManager(connection);
    return { connection, manager };
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw new ServingError('FAILED_PRECONDITION', `${url.display}: JetStream is not available (start nats-server with -js): ${(err as Error).message}`);
  }
}

export async function closeNatsSession(session: NatsSession): Promise<void> {
  if (session.connection.isClosed()) return;
  // drain() lets publishes and acks already sent reach the server before the socket closes.
  await session.connection.drain().catch(() => session.connection.close());
}

/** The stream that captures `subject`, or undefined when none does. */
export async function streamCapturing(manager: JetStreamManager, subject: string): Promise<string | undefined> {
  try {
    return await manager.streams.find(subject);
  } catch (err) {
    if (err instanceof Error && /no stream matches subject/i.test(err.message)) return undefined;
    throw err;
  }
}

/**
 * Makes sure stream `name` exists and captures `subject`: creates it with `subjects` when missing; refuses an
 * existing stream that does not capture the subject (publishing there would be refused by the server).
 */
export async function ensureStream(
  session: NatsSession,
  display: string,
  name: string,
  subject: string,
  subjects: readonly string[],
  duplicateWindowMs: number,
): Promise<void> {
  const { manager } = session;
  try {
    const info = await manager.streams.info(name);
    const capturing = await streamCapturing(manager, subject);
    if (capturing !== name) {
      const theirs = (info.config.subjects ?? []).join(', ') || 'none';
      throw new ServingError('FAILED_PRECONDITION', `${display}: stream "${name}" exists but does not capture subject "${subject}" (its subjects: ${theirs})`);
    }
    return;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw asServingError(display, err);
  }
  const config: Partial<StreamConfig> & { name: string } = { name, subjects: [...subjects], duplicate_window: nanos(duplicateWindowMs) };
  try {
    await manager.streams.add(config);
  } catch (err) {
    throw new ServingError('FAILED_PRECONDITION', `${display}: cannot create stream "${name}" for subjects ${subjects.join(', ')}: ${(err as Error).message}`);
  }
}

/** A stream name derived from a subject: JetStream stream names may not contain `.`, `*`, `>` or spaces. */
export function streamNameFor(subject: string): string {
  return subject.replace(/[.*>\s/\\]/g, '_');
}

/** A subject to publish on: non-empty dot-separated tokens without wildcards or spaces. */
export function checkPublishSubject(display: string, subject: string): void {
  if (subject === '') throw brokerUrlError(display, 'give the subject as the path, e.g. nats://127.0.0.1:4222/predictions');
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(subject)) {
    throw brokerUrlError(display, `"${subject}" is not a subject to publish on (dot-separated tokens, no spaces, no * or > wildcards)`);
  }
}

export function checkStreamName(display: string, name: string, what: string): void {
  if (!/^[^\s.*>/\\]+$/.test(name)) throw brokerUrlError(display, `${what} "${name}" may not be empty or contain spaces, ".", "*", ">", "/" or "\\"`);
}

export function nanos(ms: number): number {
  return ms * 1_000_000;
}

export function asServingError(display: string, err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  return new ServingError('UNAVAILABLE', `${display}: ${(err as Error).message ?? String(err)}`);
}
