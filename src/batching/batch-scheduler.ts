import type { BatchQueue } from './batch-queue.js';
import type { BatchTask } from './batch-task.js';

/** How often queued tasks are checked for passed deadlines and departed clients. */
const SWEEP_INTERVAL_MS = 5;
/** The sweep stops after this many sweeps in a row found nothing queued (one second). */
const IDLE_SWEEPS_BEFORE_STOP = 200;

/**
 * The one scheduler shared by every batch queue (TF Serving shares one batch thread pool across
 * models): it runs ready batches, at most `numBatchThreads` at a time, taking queues in turn so a
 * busy model cannot starve a quiet one.
 *
 * Batches start from setImmediate: every request whose bytes arrived in the same event-loop turn is
 * decoded and queued first, so under load they share one model run.
 */
export class BatchScheduler {
  private readonly queues: BatchQueue[] = [];
  private next = 0;
  private inFlight = 0;
  private drainPending = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private sweepTimer: NodeJS.Timeout | undefined;
  private idleSweeps = 0;

  constructor(private readonly numBatchThreads: number) {}

  /** Queues a task; throws (queue full, task too large) instead of queueing when it must. */
  submit(queue: BatchQueue, task: BatchTask): void {
    queue.enqueue(task);
    if (!this.queues.includes(queue)) this.queues.push(queue);
    if (task.deadline !== undefined || task.signal !== undefined) this.ensureSweep();
    // Idle fast path: with nothing running there is no batch to wait for, so a lone request starts
    // at once instead of one event-loop turn later. Under load something is always in flight and
    // requests keep gathering until the next drain.
    if (this.inFlight === 0 && !this.drainPending) this.drain();
    else this.scheduleDrain();
  }

  private hasWaitingBatch(): boolean {
    for (const q of this.queues) if (q.readyAt() !== undefined) return true;
    return false;
  }

  /** Queued tasks over all queues, for stats. */
  queuedTasks(): number {
    let n = 0;
    for (const q of this.queues) n += q.queuedTasks;
    return n;
  }

  private scheduleDrain(): void {
    if (this.drainPending) return;
    this.drainPending = true;
    setImmediate(() => {
      this.drainPending = false;
      this.drain();
    });
  }

  private drain(): void {
    const now = performance.now();
    let earliest = Infinity;
    while (this.inFlight < this.numBatchThreads) {
      const queue = this.pickReady(now);
      if (queue === undefined) break;
      this.inFlight++;
      queue.runNextReady().finally(() => {
        this.inFlight--;
        // Only when something waits: an idle loop then blocks on the sockets at once, and the next
        // request takes the idle fast path in submit().
        if (this.hasWaitingBatch()) this.scheduleDrain();
      });
    }
    for (let i = this.queues.length - 1; i >= 0; i--) {
      const at = (this.queues[i] as BatchQueue).readyAt();
      if (at === undefined) this.queues.splice(i, 1);
      else if (at > now) earliest = Math.min(earliest, at);
    }
    if (this.next >= this.queues.length) this.next = 0;
    if (earliest < Infinity) this.wakeUpAt(earliest, now);
  }

  private pickReady(now: number): BatchQueue | undefined {
    const n = this.queues.length;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      const queue = this.queues[i] as BatchQueue;
      const at = queue.readyAt();
      if (at !== undefined && at <= now) {
        this.next = (i + 1) % n;
        return queue;
      }
    }
    return undefined;
  }

  /** A batch timeout (batch_timeout_micros) that has not passed yet: come back when it does. */
  private wakeUpAt(at: number, now: number): void {
    if (this.wakeTimer !== undefined && this.wakeAt <= at) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.scheduleDrain();
    }, Math.max(0, at - now));
  }

  private ensureSweep(): void {
    this.idleSweeps = 0;
    if (this.sweepTimer !== undefined) return;
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      let queued = 0;
      for (const q of this.queues) {
        q.dropUnwanted(now);
        queued += q.queuedTasks;
      }
      // Kept while requests keep coming: creating a timer per request costs more than a few idle sweeps.
      if (queued === 0 && ++this.idleSweeps >= IDLE_SWEEPS_BEFORE_STOP) {
        clearInterval(this.sweepTimer);
        this.sweepTimer = undefined;
      }
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }
}
