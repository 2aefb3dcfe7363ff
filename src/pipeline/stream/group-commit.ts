/**
 * Group commit for the windows in flight: calls made in the same turn of the event loop (windows whose model
 * call or write finished together) go out as one call at the end of that turn, and calls made while an earlier
 * call is still running wait for it, then go out together (one sink transaction, one XACK). A lone window waits
 * only for the end of the turn; under load, small windows stop paying one round trip (and one transaction)
 * each. A failure of the shared call fails every caller in it, and each caller retries on its own.
 *
 * `maxItems` caps a shared call: whole calls are taken in the order they came until the next would pass it (a
 * single larger call goes out in parts of that size), and each caller resolves as soon as the shared call that
 * holds it is done. The stream runner caps sink writes so that large windows in flight form two groups taking
 * turns: one is written while the other is decoded and predicted, so the worker and the sink work at once
 * instead of waiting for each other.
 */
interface Submission<T> {
  readonly items: readonly T[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private queued: Array<Submission<T>> = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly run: (items: readonly T[]) => Promise<void>,
    private readonly maxItems = 4096,
  ) {
    if (!(Number.isInteger(maxItems) && maxItems >= 1)) throw new RangeError(`maxItems must be a positive integer, got ${maxItems}`);
  }

  submit(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ items, resolve, reject });
      if (!this.running) {
        // Started once the calls made in this same turn (windows that finished together) have joined it.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves once every call submitted so far has finished (at once when none is queued or running). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.queued.length > 0) {
      let count = this.queued[0]!.items.length;
      let taken = 1;
      while (taken < this.queued.length && count + this.queued[taken]!.items.length <= this.maxItems) count += this.queued[taken++]!.items.length;
      const shared = this.queued.splice(0, taken);
      try {
        await this.runInParts(shared.length === 1 ? shared[0]!.items : shared.flatMap((s) => s.items));
        for (const s of shared) s.resolve();
      } catch (err) {
        for (const s of shared) s.reject(err);
      }
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async runInParts(items: readonly T[]): Promise<void> {
    if (items.length <= this.maxItems) return this.run(items);
    for (let i = 0; i < items.length; i += this.maxItems) await this.run(items.slice(i, i + this.maxItems));
  }
}
