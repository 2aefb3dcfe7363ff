import type { Tensor } from '../tensor/tensor.js';

/** Something that can tell whether its caller still wants an answer (an AbortSignal fits). */
export interface CancellationSignal {
  readonly aborted: boolean;
}

/** One request waiting in a batch queue. */
export interface BatchTask {
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly rows: number;
  /** Absolute time in ms (Date.now()) after which the task is answered DEADLINE_EXCEEDED instead of run. */
  readonly deadline: number | undefined;
  readonly signal: CancellationSignal | undefined;
  /** performance.now() when the task was queued, for the queuing-latency metric. */
  readonly enqueuedAt: number;
  /** Set on the parts of a request split across batches (enable_large_batch_splitting). */
  readonly part?: TaskPart | undefined;
  resolve(outputs: Map<string, Tensor>): void;
  reject(error: Error): void;
}

/** Where a part of a split request sits in it: the first part carries the request's own metrics. */
export interface TaskPart {
  readonly first: boolean;
  /** Rows of the whole request. */
  readonly requestRows: number;
}

/** Tasks that will run together: up to the queue's batch size limit in rows. */
export class Batch {
  readonly tasks: BatchTask[] = [];
  rows = 0;
  /** No more tasks join: it is full, or a task of its shape did not fit and opened a batch behind it. */
  closed = false;

  constructor(readonly openedAt: number) {}

  add(task: BatchTask): void {
    this.tasks.push(task);
    this.rows += task.rows;
  }
}
