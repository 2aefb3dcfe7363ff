/**
 * Redis Streams endpoints: `redis://[user:password@]host:port/STREAM?param=value…` (`rediss://` for TLS). The
 * path names the stream (URL-encoded if it holds `/`); `db=N` picks a database. Each role accepts its own
 * parameters and rejects any other by name, so a typo is an error rather than a silently ignored setting. The
 * password never leaves this module except in the connection options: messages use `display`.
 */
import type { RedisOptions } from 'ioredis';
import { ServingError } from '../../errors/serving-error.js';

export interface RedisStreamUrl {
  readonly connection: RedisOptions;
  readonly stream: string;
  /** The role's parameters (db removed). */
  readonly params: ReadonlyMap<string, string>;
  readonly display: string;
}

export function parseRedisStreamUrl(text: string, role: string, allowed: readonly string[]): RedisStreamUrl {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw invalid(text, 'not a valid URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalid(text, 'expected redis://host:port/STREAM');
  const masked = new URL(url.toString());
  if (masked.password !== '') masked.password = '***';
  const display = decodeURIComponent(masked.toString());
  const stream = decodeURIComponent(url.pathname.slice(1));
  if (stream === '') throw invalid(display, `name the stream in the path: redis://host:port/STREAM`);
  const params = new Map<string, string>();
  let db = 0;
  for (const [name, value] of url.searchParams) {
    if (name === 'db') {
      if (!/^\d+$/.test(value)) throw invalid(display, `db must be a database number, got "${value}"`);
      db = Number(value);
    } else if (allowed.includes(name)) params.set(name, value);
    else throw invalid(display, `unknown parameter "${name}" for a Redis stream ${role} (known: ${['db', ...allowed].join(', ')})`);
  }
  const connection: RedisOptions = {
    host: url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    db,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { connection, stream, params, display };
}

/**
 * Whether two URLs name the same Redis server and database as the same user (host as written: `localhost` and
 * `127.0.0.1` differ), so that one connection may act on the other's keys.
 */
export function sameRedisServer(a: RedisStreamUrl, b: RedisStreamUrl): boolean {
  const x = a.connection;
  const y = b.connection;
  return x.host?.toLowerCase() === y.host?.toLowerCase() && x.port === y.port && (x.db ?? 0) === (y.db ?? 0) && x.username === y.username;
}

/** A parameter that must be a whole number of at least `min`; `fallback` when absent. */
export function intParam(url: RedisStreamUrl, name: string, fallback: number, min: number): number {
  const raw = url.params.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw invalid(url.display, `${name} must be a whole number of at least ${min}, got "${raw}"`);
  return Number(raw);
}

export function invalid(url: string, why: string): ServingError {
  return new ServingError('INVALID_ARGUMENT', `${url.replace(/:[^:@/]*@/, ':***@')}: ${why}`);
}
