// The knobs of a remote predictor, each with its default.

export interface RemotePredictorOptions {
  /** Deadline of a call whose request sets none, in ms (default 30 000). Retries happen within it. */
  readonly deadlineMs?: number;
  /**
   * Longest wait for one attempt, in ms, within the deadline; an attempt that runs out is retried like UNAVAILABLE
   * (default 0: an attempt may take the whole deadline).
   */
  readonly attemptTimeoutMs?: number;
  /** Retries after the first attempt, on UNAVAILABLE, RESOURCE_EXHAUSTED (HTTP 429), a failed connection or an attempt timeout (default 3). */
  readonly maxRetries?: number;
  /** Backoff before the first retry in ms, doubling with each further one, with jitter (default 50). */
  readonly backoffMs?: number;
  /** Longest backoff between two attempts in ms (default 5 000). */
  readonly maxBackoffMs?: number;
  /** Calls in flight at once; further calls wait for a slot within their deadline (default 64). */
  readonly maxConcurrentCalls?: number;
  /** How long a model's fetched signatures are reused, in ms (default 30 000; 0 fetches them for every call that needs them). */
  readonly signatureCacheMs?: number;
  /** Largest response accepted, in bytes (default 256 MiB). */
  readonly maxResponseBytes?: number;
}

export type ResolvedRemoteOptions = Required<RemotePredictorOptions>;

export const REMOTE_DEFAULTS: ResolvedRemoteOptions = {
  deadlineMs: 30_000,
  attemptTimeoutMs: 0,
  maxRetries: 3,
  backoffMs: 50,
  maxBackoffMs: 5_000,
  maxConcurrentCalls: 64,
  signatureCacheMs: 30_000,
  maxResponseBytes: 256 * 1024 * 1024,
};

export function resolveRemoteOptions(options: RemotePredictorOptions): ResolvedRemoteOptions {
  const resolved = { ...REMOTE_DEFAULTS };
  for (const key of Object.keys(REMOTE_DEFAULTS) as Array<keyof ResolvedRemoteOptions>) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`remote predictor option ${key} must be a non-negative number, got ${value}`);
    resolved[key] = value;
  }
  if (resolved.maxConcurrentCalls < 1) throw new RangeError('remote predictor option maxConcurrentCalls must be at least 1');
  return resolved;
}
