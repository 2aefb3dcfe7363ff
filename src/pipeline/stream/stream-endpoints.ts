/**
 * Where a stream's messages come from and where its predictions go, named by URL: this module maps a URL's
 * scheme to the adapter that implements `StreamSource`, `StreamSink` or `StreamPublisher` for it, and is the
 * only place that knows the list. Adding a broker or a database means one `case` per role here and one file
 * for the adapter; the runner and the CLI stay as they are.
 *
 * Schemes are matched case-insensitively; `stdin` (or `-`) and plain paths (no `scheme://`) name the standard
 * input and files.
 */
import { ServingError } from '../../errors/serving-error.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import type { StreamSink, StreamSource } from './stream-contracts.js';
import type { StreamPublisher } from './stream-publisher.js';
import { NatsJetStreamPublisher } from './nats-publisher.js';
import { NatsJetStreamSink } from './nats-sink.js';
import { NatsJetStreamSource } from './nats-source.js';
import { LineSource } from './line-source.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { KafkaSink } from './kafka-sink.js';
import { KafkaSource } from './kafka-source.js';
import { RedisStreamPublisher } from './redis-stream-publisher.js';
import { RedisStreamSink } from './redis-stream-sink.js';
import { RedisStreamSource } from './redis-stream-source.js';
import { StdoutSink } from './stdout-sink.js';

export interface SourceOptions {
  /**
   * Messages left unacknowledged this long by another consumer are taken over (Redis XPENDING IDLE + XCLAIM); a URL
   * parameter (`claim-idle-ms`) wins over it.
   */
  readonly claimIdleMs: number;
  readonly logger?: Logger | undefined;
}

/**
 * What the sink URL names. `predictions`: where prediction records go; dead letters go to that sink's own
 * dead-letter place (`T_dead_letters`, `STREAM:dead-letters`, …). `dead-letters`: the URL names the place of
 * the dead letters themselves (`--dead-letter`), and only `writeDeadLetters` is used.
 */
export type SinkRole = 'predictions' | 'dead-letters';

export interface SinkOptions {
  readonly role: SinkRole;
  readonly logger?: Logger | undefined;
}

/** The scheme of an endpoint URL: `stdin` for `stdin` or `-`, `stdout`, `file` for a path, else the URL's scheme. */
export function endpointScheme(url: string): string {
  const text = url.trim();
  if (text === 'stdin' || text === '-') return 'stdin';
  if (text === 'stdout') return 'stdout';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'file';
  return scheme === 'postgresql' ? 'postgres' : scheme;
}

// The schemes each role accepts, in the order error messages list them. Add a scheme here when its case
// below is implemented.
export const SOURCE_SCHEMES: readonly string[] = ['redis', 'nats', 'kafka', 'stdin', 'file'];
export const SINK_SCHEMES: readonly string[] = ['postgres', 'duckdb', 'redis', 'nats', 'kafka', 'stdout'];
export const PUBLISH_SCHEMES: readonly string[] = ['redis', 'nats', 'kafka'];

export async function openStreamSource(url: string, options: SourceOptions): Promise<StreamSource> {
  const scheme = endpointScheme(url);
  switch (scheme) {
    case 'redis':
      // redis://host:port/STREAM?group=G&consumer=C&claim-idle-ms=N
      return RedisStreamSource.open(url, { claimIdleMs: options.claimIdleMs, logger: options.logger });
    case 'nats':
      // nats://host:port/SUBJECT?stream=S&consumer=C (JetStream); ack_wait defaults to the claim idle time
      return NatsJetStreamSource.open(url, { defaultAckWaitMs: options.claimIdleMs });
    case 'kafka':
      // kafka://broker1,broker2/TOPIC?group=G; unacknowledged messages come back after the claim idle time
      return KafkaSource.open(url, { defaultAckWaitMs: options.claimIdleMs, logger: options.logger });
    case 'stdin':
    case 'file':
      // one JSON instance per line; a line not acknowledged within the claim idle time is handed out again
      return LineSource.open(url, { ackWaitMs: options.claimIdleMs });
  }
  void options;
  throw unsupported('source', url, scheme, SOURCE_SCHEMES);
}

export async function openStreamSink(url: string, options: SinkOptions): Promise<StreamSink> {
  const scheme = endpointScheme(url);
  const logger = options.logger ?? silentLogger;
  switch (scheme) {
    case 'postgres':
    case 'duckdb':
      // postgres://user@host:port/db?table=T, duckdb:///path.db?table=T (dead letters: T_dead_letters)
      // Loaded on use: DuckDB's native module and the PostgreSQL client cost a worker that needs neither.
      return (await import('./sql-stream-sink.js')).SqlStreamSink.open(url, options.role);
    case 'redis':
      // redis://host:port/STREAM?dedup-ttl-ms=N (dead letters: STREAM:dead-letters)
      return RedisStreamSink.open(url, options.role, logger);
    case 'nats':
      // nats://host:port/SUBJECT (dead letters: SUBJECT.dead)
      return NatsJetStreamSink.open(url, { role: options.role });
    case 'kafka':
      // kafka://broker1,broker2/TOPIC (keyed by message id; dead letters: TOPIC.dead)
      return KafkaSink.open(url, { role: options.role, logger });
    case 'stdout':
      // JSON lines; dead letters are lines with "error"
      return new StdoutSink();
  }
  void logger;
  throw unsupported('sink', url, scheme, SINK_SCHEMES);
}

/**
 * Lets each sink acknowledge the source's messages itself as it stores them, where it can (a Redis sink on
 * its Redis source's server: one atomic script appends and acknowledges, see redis-stream-sink.ts), so that
 * a message's entry and its acknowledgement are one step (one entry per message within a consumer group), and
 * saves the separate acknowledgement. Call once both are open; a sink that
 * cannot stays as it is, and the runner acknowledges after its writes.
 */
export function linkSinksToSource(source: StreamSource, sinks: ReadonlyArray<StreamSink | undefined>): void {
  if (!(source instanceof RedisStreamSource)) return;
  for (const sink of sinks) if (sink instanceof RedisStreamSink) sink.acknowledgeFor(source);
}

/** Where `millrace simulate` publishes. */
export async function openStreamPublisher(url: string): Promise<StreamPublisher> {
  const scheme = endpointScheme(url);
  switch (scheme) {
    case 'redis':
      // redis://host:port/STREAM (XADD, field `data`)
      return RedisStreamPublisher.open(url);
    case 'nats':
      // nats://host:port/SUBJECT (JetStream publish)
      return NatsJetStreamPublisher.open(url);
    case 'kafka':
      // kafka://broker1,broker2/TOPIC
      return KafkaPublisher.open(url);
  }
  throw unsupported('publish target', url, scheme, PUBLISH_SCHEMES);
}

function unsupported(role: string, url: string, scheme: string, supported: readonly string[]): ServingError {
  const shown = scheme === 'file' || scheme === 'stdin' ? `"${url}"` : `${scheme}://`;
  const list = supported.length === 0 ? 'none yet' : supported.map(schemeExample).join(', ');
  return new ServingError('INVALID_ARGUMENT', `${shown} is not a supported stream ${role}; supported: ${list}`);
}

function schemeExample(scheme: string): string {
  return scheme === 'stdin' || scheme === 'stdout' ? scheme : scheme === 'file' ? 'a file path' : `${scheme}://`;
}
