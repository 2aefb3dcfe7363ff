/**
 * Broker locations given as `--source`, `--sink` or a `simulate` target: `scheme://[user[:password]@]host[:port][,host[:port]…]/NAME?param=…`.
 * WHATWG `URL` rejects a comma-separated host list, which both `nats://` and `kafka://` allow, so the parts are
 * split here by hand. The password never leaves this module except in `password`: messages use `display`.
 */
import { ServingError } from '../../errors/serving-error.js';

export interface BrokerUrl {
  /** Lower case, without the colon: `nats`, `kafka`. */
  readonly scheme: string;
  /** `host:port` entries (the default port added where none was given). */
  readonly hosts: readonly string[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The decoded path without its leading slash: the subject or topic. */
  readonly name: string;
  readonly params: URLSearchParams;
  /** The URL with the password masked. */
  readonly display: string;
}

export function parseBrokerUrl(text: string, defaultPort: number): BrokerUrl {
  const trimmed = text.trim();
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(trimmed);
  if (match === null) throw brokerUrlError(maskPassword(trimmed), 'expected scheme://host[:port][,host[:port]…]/NAME[?param=value…]');
  const [, scheme, authority = '', path = '', query = ''] = match;
  const display = maskPassword(trimmed);
  const at = authority.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : authority.slice(0, at);
  const hostList = at < 0 ? authority : authority.slice(at + 1);
  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    username = decode(colon < 0 ? userInfo : userInfo.slice(0, colon), display, 'user name');
    password = colon < 0 ? undefined : decode(userInfo.slice(colon + 1), display, 'password');
  }
  const hosts = hostList.split(',').map((host) => host.trim());
  if (hosts.some((host) => host === '')) throw brokerUrlError(display, 'give at least one host, e.g. 127.0.0.1:4222 (several are separated by commas)');
  const withPorts = hosts.map((host) => withDefaultPort(host, defaultPort, display));
  const name = decode(path.replace(/^\//, ''), display, 'path');
  return { scheme: scheme!.toLowerCase(), hosts: withPorts, username, password, name, params: new URLSearchParams(query), display };
}

/** Fails on any query parameter the adapter does not know, so that a typo is not silently ignored. */
export function rejectUnknownParams(url: BrokerUrl, known: readonly string[]): void {
  for (const key of url.params.keys()) {
    if (!known.includes(key)) {
      const allowed = known.length === 0 ? 'it takes no parameters' : `known parameters: ${known.join(', ')}`;
      throw brokerUrlError(url.display, `unknown parameter "${key}" (${allowed})`);
    }
  }
}

/** A whole-number parameter within [min, max], or `fallback` when absent. */
export function integerParam(url: BrokerUrl, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = url.params.get(key);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw brokerUrlError(url.display, `${key}=${raw} is not a whole number ${range}`);
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration parameter written with its unit as NATS writes them (`500ms`, `30s`, `2m`, `1h`), in milliseconds,
 * or `fallbackMs` when absent. A bare number is refused: seconds and milliseconds are too easy to confuse.
 */
export function durationParam(url: BrokerUrl, key: string, fallbackMs: number, minMs: number): number {
  const raw = url.params.get(key);
  if (raw === null) return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(raw.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * DURATION_UNITS[match[2]!]!;
  if (!Number.isFinite(ms)) throw brokerUrlError(url.display, `${key}=${raw} is not a duration with a unit (e.g. 500ms, 30s, 2m, 1h)`);
  if (ms < minMs) throw brokerUrlError(url.display, `${key}=${raw} is below the minimum of ${minMs} ms`);
  return Math.round(ms);
}

export function brokerUrlError(display: string, why: string): ServingError {
  return new ServingError('INVALID_ARGUMENT', `${display}: ${why}`);
}

function maskPassword(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

function withDefaultPort(host: string, defaultPort: number, display: string): string {
  const bracketed = /^\[[^\]]+\](?::(\d+))?$/.exec(host);
  const plain = /^[^:[\]]+(?::(\d+))?$/.exec(host);
  const match = bracketed ?? plain;
  if (match === null) throw brokerUrlError(display, `"${host}" is not host or host:port`);
  const port = match[1];
  if (port === undefined) return `${host}:${defaultPort}`;
  const value = Number(port);
  if (value < 1 || value > 65_535) throw brokerUrlError(display, `port ${port} of "${host}" is out of range 1–65535`);
  return host;
}

function decode(text: string, display: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw brokerUrlError(display, `the ${what} is not valid percent-encoding`);
  }
}
