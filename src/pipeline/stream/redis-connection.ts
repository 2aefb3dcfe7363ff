/**
 * One ioredis connection as the stream adapters use it: connected before it is handed out (so a wrong host or
 * port fails at start with a clear message), reconnecting in the background after a drop, and failing a
 * command after a couple of reconnection attempts instead of queueing it forever, so the stream runner sees
 * the outage (as UNAVAILABLE) and backs off. Connection errors are logged, never thrown as unhandled events.
 */
import { Redis } from 'ioredis';
import { ServingError } from '../../errors/serving-error.js';
import { silentLogger, type Logger } from '../../logging/logger.js';
import type { RedisStreamUrl } from './redis-stream-url.js';

/**
 * `autoPipelining`: commands issued in one event-loop turn (windows in flight writing and acknowledging) go out
 * in one socket write; on small windows the system calls, not Redis, are the cost. Not for a connection used
 * with `call`/`callBuffer` (ioredis then drops the command name) or for blocking reads.
 */
export async function connectRedis(url: RedisStreamUrl, logger: Logger = silentLogger, autoPipelining = false): Promise<Redis> {
  const client = new Redis({
    ...url.connection,
    lazyConnect: true,
    // RESP2: the reply shapes every Redis version gives (XREADGROUP as [[stream, entries]]), and no HELLO.
    protocol: 2,
    enableAutoPipelining: autoPipelining,
    connectTimeout: 5000,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let lastLogged = 0;
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
    // ioredis repeats the error on every reconnection attempt; one line a few seconds is enough.
    if (Date.now() - lastLogged < 5000) return;
    lastLogged = Date.now();
    logger.log('warn', 'redis_connection_error', { url: url.display, error: err.message });
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    // connect() often rejects with a bare "Connection is closed."; the error event says why (ECONNREFUSED, …).
    const why = lastError?.message ?? (err as Error).message;
    throw new ServingError('FAILED_PRECONDITION', `${url.display}: cannot connect to Redis at ${url.connection.host}:${url.connection.port}: ${why}`);
  }
  return client;
}

/** A Redis command's failure as a ServingError: connection trouble is UNAVAILABLE (worth retrying). */
export function redisError(url: RedisStreamUrl, doing: string, err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const connection = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|MaxRetriesPerRequest|LOADING|READONLY|BUSY |TRYAGAIN|CLUSTERDOWN|MASTERDOWN|OOM/i.test(message);
  return new ServingError(connection ? 'UNAVAILABLE' : 'FAILED_PRECONDITION', `${url.display}: ${doing} failed: ${message}`);
}
