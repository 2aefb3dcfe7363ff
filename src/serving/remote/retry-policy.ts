// How one remote call is attempted: within one deadline, holding a call slot per attempt, retried with
// exponential backoff and jitter when the server is unavailable or overloaded, could not be reached, or did not
// answer one attempt within the per-attempt timeout (so one hung call does not use up the whole deadline).
import { ServingError } from '../../errors/serving-error.js';
import type { CallOptions } from '../predictor.js';
import { CallLimiter } from './call-limiter.js';
import type { ResolvedRemoteOptions } from './remote-options.js';

/**
 * What one attempt gets: its absolute deadline (the call's, or sooner with a per-attempt timeout) and the
 * caller's cancellation flag.
 */
export interface Attempt {
  readonly deadline: number;
  readonly signal: CallOptions['signal'];
}

/**
 * A limit of this client was hit (a response larger than maxResponseBytes): RESOURCE_EXHAUSTED like the
 * server's overload, but asking again cannot help, so it is not retried.
 */
export class ClientLimitError extends ServingError {
  constructor(message: string) {
    super('RESOURCE_EXHAUSTED', message);
  }
}

/** UNAVAILABLE covers failed connections too: the transports report those with that code. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof ServingError) || err instanceof ClientLimitError) return false;
  return err.code === 'UNAVAILABLE' || err.code === 'RESOURCE_EXHAUSTED';
}

/** Delay before retry number `retry` (0-based): base·2^retry capped at max, then scaled by a random 50–100 %. */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** retry);
  return exponential * (0.5 + random() * 0.5);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RemoteCaller {
  private readonly limiter: CallLimiter;

  constructor(
    private readonly options: ResolvedRemoteOptions,
    private readonly url: string,
  ) {
    this.limiter = new CallLimiter(options.maxConcurrentCalls, url);
  }

  /**
   * Runs `attempt` until it succeeds, fails with an error that is not retried, runs out of retries, or the
   * next try could not start before the deadline; the last error is thrown as it is.
   */
  async call<T>(options: CallOptions, attempt: (a: Attempt) => Promise<T>): Promise<T> {
    const deadline = options.deadline ?? Date.now() + this.options.deadlineMs;
    const whole: Attempt = { deadline, signal: options.signal };
    const perAttempt = this.options.attemptTimeoutMs;
    for (let retry = 0; ; retry++) {
      this.checkStillWanted(whole);
      const release = await this.limiter.acquire(deadline);
      // The attempt's own deadline starts once it holds a slot: waiting for one is not the server's fault.
      const attemptDeadline = perAttempt > 0 ? Math.min(deadline, Date.now() + perAttempt) : deadline;
      let failure: unknown;
      try {
        return await attempt({ deadline: attemptDeadline, signal: options.signal });
      } catch (err) {
        failure = err;
      } finally {
        release();
      }
      const timedOut = attemptDeadline < deadline && failure instanceof ServingError && failure.code === 'DEADLINE_EXCEEDED';
      if (timedOut) failure = new ServingError('DEADLINE_EXCEEDED', `${(failure as ServingError).message} (attempt ${retry + 1}, attemptTimeoutMs ${perAttempt})`);
      if (!(timedOut || isRetryable(failure)) || retry >= this.options.maxRetries) throw failure;
      const delay = backoffDelay(retry, this.options.backoffMs, this.options.maxBackoffMs);
      if (Date.now() + delay >= deadline) throw failure;
      await sleep(delay);
    }
  }

  private checkStillWanted(context: Attempt): void {
    if (context.signal?.aborted === true) throw new ServingError('CANCELLED', `Call to ${this.url} cancelled by the caller`);
    if (Date.now() >= context.deadline) throw new ServingError('DEADLINE_EXCEEDED', `Deadline exceeded before the call to ${this.url} could be made`);
  }
}
