/**
 * Which failures of a message are worth another attempt, and how long to wait before it. A transient failure
 * (the model server unreachable, overloaded or too slow; the sink failing to write) may go away; anything
 * else (a bad instance, a model that rejects it) fails the same way every time and goes to the dead letters
 * at once. Waits grow exponentially with jitter, so a fleet of workers does not retry in lockstep.
 */
import type { CodeName, ServingError } from '../../errors/serving-error.js';

const TRANSIENT_CODES: ReadonlySet<CodeName> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED']);

export function isTransient(error: ServingError): boolean {
  return TRANSIENT_CODES.has(error.code);
}

export interface BackoffOptions {
  /** The wait before the first retry. */
  readonly initialMs: number;
  /** No wait is longer than this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000 };

/** The wait before retry number `retry` (1 for the first): initial × 2^(retry−1), capped, then 50–100 % of it. */
export function backoffMs(options: BackoffOptions, retry: number, random: () => number = Math.random): number {
  const full = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, retry - 1));
  return Math.round(full * (0.5 + random() / 2));
}

/** Resolves after `ms`, or at once when `signal` is aborted (shutdown must not wait out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
