/**
 * Group commit for the windows in flight: calls made in the same turn of the event loop (windows whose model
 * call or write finished together) go out as one call at the end of that turn, and calls made while an earlier
 * call is still running wait for it, then go out together (one sink transaction, one XACK). A lone window waits
 * only for the end of the turn; under load, small windows stop paying one round trip (and one transaction)
 * each. A failure of the shared call fails every caller in it, and each caller retries on its own.
 */
export class GroupCommit<T> {
  private queued: T[] = [];
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  /** `maxItems` caps one shared call; more items go out in calls of that size, one after another. */
  constructor(
    private readonly run: (items: readonly T[]) => Promise<void>,
    private readonly maxItems = 4096,
  ) {}

  submit(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queued.push(...items);
      this.waiters.push({ resolve, reject });
      if (!this.running) {
        // Started once the calls made in this same turn (windows that finished together) have joined it.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiters.length > 0) {
      const items = this.queued;
      const waiters = this.waiters;
      this.queued = [];
      this.waiters = [];
      try {
        await this.runInParts(items);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once every call submitted so far has finished (at once when none is queued or running). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async runInParts(items: readonly T[]): Promise<void> {
    if (items.length <= this.maxItems) return this.run(items);
    for (let i = 0; i < items.length; i += this.maxItems) await this.run(items.slice(i, i + this.maxItems));
  }
}
