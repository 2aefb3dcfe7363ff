/**
 * Turns KafkaJS's push model (an `eachBatch` callback per fetched batch) into the pull model of a stream
 * source (`receive(max, waitMs)`, `ack`). Fetched messages wait here, at most `capacity` of them: while the
 * queue is full the batch callback waits (heartbeating), so KafkaJS fetches nothing more — backpressure reaches
 * the broker. Handed-out messages are tracked for local redelivery (RedeliveryLedger) and for committing only
 * contiguous acknowledged prefixes (AckedPrefixOffsets). A rebalance discards all of it: the group re-reads
 * from its committed offsets, and acknowledgements of messages from before it are ignored (their rows are in
 * the sink already; the re-read copies are deduplicated there).
 *
 * No KafkaJS types here, so the bookkeeping is tested without a broker.
 */
import { AckedPrefixOffsets, type CommitPoint } from './kafka-offsets.js';
import { readyOrTimeout } from './ready-or-timeout.js';
import { RedeliveryLedger, type LedgerEntry } from './redelivery-ledger.js';
import type { StreamMessage } from './stream-contracts.js';

/** The parts of a fetched Kafka message this queue uses. */
export interface FetchedMessage {
  readonly offset: string;
  readonly value: Uint8Array | null;
  /** Milliseconds since the epoch as a decimal string (Kafka's CreateTime or LogAppendTime). */
  readonly timestamp: string;
}

interface QueueEntry extends LedgerEntry {
  readonly partition: number;
  readonly offset: string;
}

export interface KafkaReceiveQueueOptions {
  /** Fetched messages held before the batch callback waits. */
  readonly capacity: number;
  /** A message handed out and not acknowledged this long is handed out again. */
  readonly ackWaitMs: number;
  readonly now?: (() => number) | undefined;
}

const EMPTY = new Uint8Array(0);

export class KafkaReceiveQueue {
  private fetched: QueueEntry[] = [];
  private fetchedHead = 0;
  private readonly ledger: RedeliveryLedger<QueueEntry>;
  private readonly offsets = new AckedPrefixOffsets();
  private readonly now: () => number;
  private generationNumber = 0;
  private dataArrived = signal();
  private spaceFreed = signal();

  constructor(
    private readonly topic: string,
    private readonly options: KafkaReceiveQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.ledger = new RedeliveryLedger(options.ackWaitMs, this.now);
  }

  /** Counts rebalances; a batch callback started in an earlier generation stops adding. */
  get generation(): number {
    return this.generationNumber;
  }

  get full(): boolean {
    return this.fetched.length - this.fetchedHead >= this.options.capacity;
  }

  /** Messages fetched and not handed out, and handed out and not acknowledged. */
  get depth(): { readonly waiting: number; readonly unacknowledged: number } {
    return { waiting: this.fetched.length - this.fetchedHead, unacknowledged: this.ledger.size };
  }

  /** Adds a fetched message (ignored when it is from an older generation or its offset was seen already). */
  add(partition: number, message: FetchedMessage, generation: number): boolean {
    if (generation !== this.generationNumber || !this.offsets.delivered(partition, message.offset)) return false;
    const time = Number(message.timestamp);
    this.fetched.push({
      partition,
      offset: message.offset,
      message: {
        id: `${this.topic}:${partition}:${message.offset}`,
        body: message.value ?? EMPTY,
        eventTimeMs: Number.isFinite(time) && time >= 0 ? time : this.now(),
        deliveries: 1,
      },
    });
    this.dataArrived.fire();
    return true;
  }

  /** Resolves when there is room again, or after `ms` (so the caller can heartbeat and check it still runs). */
  async waitForSpace(ms: number): Promise<void> {
    if (!this.full) return;
    await readyOrTimeout(this.spaceFreed.promise, ms);
  }

  /** Up to `max` messages: due redeliveries first, then fetched ones; waits at most `waitMs` for the first. */
  async take(max: number, waitMs: number): Promise<StreamMessage[]> {
    const deadline = this.now() + Math.max(0, waitMs);
    for (;;) {
      const out = this.ledger.takeExpired(max, (entry, message) => ({ ...entry, message })).map((entry) => entry.message);
      while (out.length < max && this.fetchedHead < this.fetched.length) {
        const entry = this.fetched[this.fetchedHead++]!;
        this.ledger.handOut(entry);
        out.push(entry.message);
      }
      if (this.fetchedHead === this.fetched.length && this.fetchedHead > 0) {
        this.fetched = [];
        this.fetchedHead = 0;
      }
      if (out.length > 0) {
        this.spaceFreed.fire();
        return out;
      }
      const remaining = deadline - this.now();
      if (remaining <= 0) return [];
      const redeliveryIn = (this.ledger.nextDeadline() ?? Number.POSITIVE_INFINITY) - this.now();
      await readyOrTimeout(this.dataArrived.promise, Math.max(1, Math.min(remaining, redeliveryIn)));
    }
  }

  /** Marks messages done; returns the commit points that moved (commit them, then call `markCommitted`). */
  acknowledge(messages: readonly StreamMessage[]): CommitPoint[] {
    for (const message of messages) {
      const entry = this.ledger.remove(message.id);
      if (entry !== undefined) this.offsets.acked(entry.partition, entry.offset);
    }
    return this.offsets.commitPoints();
  }

  /** The commit points to commit now (for a retry after a failed commit). */
  commitPoints(): CommitPoint[] {
    return this.offsets.commitPoints();
  }

  markCommitted(points: readonly CommitPoint[], generation: number): void {
    if (generation === this.generationNumber) this.offsets.markCommitted(points);
  }

  /** The group's partitions were reassigned: forget everything fetched, handed out or acknowledged. */
  rebalanced(): void {
    this.generationNumber++;
    this.fetched = [];
    this.fetchedHead = 0;
    this.ledger.clear();
    this.offsets.forget();
    this.spaceFreed.fire();
  }
}

/** A promise that resolves on the next `fire()`, then is replaced by a fresh one. */
function signal(): { promise: Promise<void>; fire(): void } {
  let resolve: () => void = () => undefined;
  const s = {
    promise: new Promise<void>((r) => (resolve = r)),
    fire(): void {
      resolve();
      s.promise = new Promise<void>((r) => (resolve = r));
    },
  };
  return s;
}
