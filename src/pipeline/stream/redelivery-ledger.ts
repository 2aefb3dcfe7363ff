/**
 * Messages handed out and not yet acknowledged, for sources whose broker does not redeliver by itself to a
 * live consumer (Kafka only re-reads from the committed offset after a restart or rebalance; a file or stdin
 * has no broker at all). A message left unacknowledged for `ackWaitMs` is handed out again with `deliveries`
 * one higher — what JetStream's ack_wait and a Redis XCLAIM do — so the runner's retry and dead-letter rules
 * work the same on every source.
 *
 * Every hand-out gets the deadline now + ackWaitMs, which only grows, so the Map's insertion order (a
 * re-hand-out deletes and re-inserts) is deadline order and expired entries are always at its front.
 */
import type { StreamMessage } from './stream-contracts.js';

export interface LedgerEntry {
  readonly message: StreamMessage;
}

export class RedeliveryLedger<T extends LedgerEntry> {
  private readonly outstanding = new Map<string, { entry: T; deadline: number }>();

  constructor(
    private readonly ackWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(ackWaitMs > 0)) throw new RangeError(`ackWaitMs must be positive, got ${ackWaitMs}`);
  }

  get size(): number {
    return this.outstanding.size;
  }

  /** Records a message as handed out (a second hand-out of the same id replaces the first). */
  handOut(entry: T): void {
    this.outstanding.delete(entry.message.id);
    this.outstanding.set(entry.message.id, { entry, deadline: this.now() + this.ackWaitMs });
  }

  /** Up to `max` entries whose deadline passed, with deliveries counted up, handed out again. */
  takeExpired(max: number, rewrite: (entry: T, message: StreamMessage) => T): T[] {
    const now = this.now();
    const due: T[] = [];
    for (const [id, { entry, deadline }] of this.outstanding) {
      if (due.length >= max || deadline > now) break;
      this.outstanding.delete(id);
      due.push(rewrite(entry, { ...entry.message, deliveries: entry.message.deliveries + 1 }));
    }
    for (const entry of due) this.handOut(entry);
    return due;
  }

  /** Removes and returns the entry of an acknowledged message; undefined when it is not outstanding. */
  remove(id: string): T | undefined {
    const found = this.outstanding.get(id);
    if (found === undefined) return undefined;
    this.outstanding.delete(id);
    return found.entry;
  }

  /** When the earliest outstanding message is due again (ms since the epoch), or undefined when none is. */
  nextDeadline(): number | undefined {
    for (const { deadline } of this.outstanding.values()) return deadline;
    return undefined;
  }

  clear(): void {
    this.outstanding.clear();
  }
}
