import { ServingError } from '../errors/serving-error.js';
import type { BatchingParameters } from '../repository/batching-parameters.js';
import type { Tensor } from '../tensor/tensor.js';
import { Batch, type BatchTask } from './batch-task.js';
import type { BatchMetrics } from './batch-metrics.js';
import { BatchInputMemory } from './batch-input-memory.js';
import { concatRows, sameInnerShapes, sliceRows } from './tensor-batching.js';
import { partSizes, splitTask } from './task-splitting.js';

export type BatchRun = (inputs: ReadonlyMap<string, Tensor>) => Promise<Map<string, Tensor>>;

/**
 * The queue of one servable signature. A request joins the oldest open batch of its shape (same inner
 * dimensions, or same ranks when padding is on) while that batch has room; one that does not fit closes
 * that batch and opens a new one behind it — up to max_enqueued_batches, past which requests are refused at
 * once rather than left to time out. TF Serving keeps a single open batch and fails a batch whose tasks
 * differ in shape; keeping one open batch per shape lets requests of alternating shapes (A, B, A, B) share
 * two batches instead of opening four.
 *
 * With enable_large_batch_splitting, batches hold at most max_execution_batch_size rows and a request of up
 * to max_batch_size rows is cut into parts: the room left in its open batch, then whole batches.
 */
export class BatchQueue {
  /** Every queued batch, oldest first. */
  private readonly batches: Batch[] = [];
  /** The batches still taking tasks, oldest first: at most one per shape. The rest of `batches` are closed. */
  private readonly open: Batch[] = [];
  private readonly inputMemory = new BatchInputMemory();
  /** Largest batch run: max_execution_batch_size with splitting, else max_batch_size. */
  private readonly batchLimit: number;

  constructor(
    readonly params: BatchingParameters,
    private readonly run: BatchRun,
    private readonly metrics: BatchMetrics,
  ) {
    this.batchLimit = params.enableLargeBatchSplitting ? params.maxExecutionBatchSize : params.maxBatchSize;
  }

  get queuedBatches(): number {
    return this.batches.length;
  }

  get queuedTasks(): number {
    let n = 0;
    for (const b of this.batches) n += b.tasks.length;
    return n;
  }

  /** Adds a task or throws the TF Serving error that refuses it. */
  enqueue(task: BatchTask): void {
    const { maxBatchSize, maxEnqueuedBatches, padVariableLengthInputs, enableLargeBatchSplitting } = this.params;
    if (task.rows > maxBatchSize) {
      throw new ServingError('INVALID_ARGUMENT', `Task size ${task.rows} is larger than maximum input batch size ${maxBatchSize}`);
    }
    const open = this.openBatchFor(task, padVariableLengthInputs);
    const room = open === undefined ? 0 : this.batchLimit - open.rows;
    if (open !== undefined && task.rows <= room) {
      this.addTo(open, task);
      return;
    }
    if (!enableLargeBatchSplitting) {
      if (this.batches.length >= maxEnqueuedBatches) throw queueFull();
      if (open !== undefined) this.close(open);
      this.addTo(this.openBatch(), task);
      return;
    }
    // TF Serving's capacity check with splitting: the open batch's room plus the batches still allowed.
    if (task.rows > room + (maxEnqueuedBatches - this.batches.length) * this.batchLimit) throw queueFull();
    const parts = splitTask(task, partSizes(task.rows, room, this.batchLimit));
    for (const part of parts) {
      const target = open !== undefined && !open.closed ? open : this.openBatch();
      this.addTo(target, part);
      if (target === open) this.close(open);
    }
  }

  /** When the next batch may run: now (0), at a time (ms, performance clock), or never (no batch). */
  readyAt(): number | undefined {
    if (this.batches.length === 0) return undefined;
    if (this.batches.length > this.open.length) return 0;
    // Only open batches are queued; the oldest times out first.
    return (this.open[0] as Batch).openedAt + this.params.batchTimeoutMicros / 1000;
  }

  /** Answers queued tasks whose caller left or whose deadline passed, so they never run. */
  dropUnwanted(now: number): void {
    for (let b = this.batches.length - 1; b >= 0; b--) {
      const batch = this.batches[b] as Batch;
      for (let i = batch.tasks.length - 1; i >= 0; i--) {
        const task = batch.tasks[i] as BatchTask;
        if (!rejectIfUnwanted(task, now)) continue;
        batch.tasks.splice(i, 1);
        batch.rows -= task.rows;
      }
      if (batch.tasks.length === 0) this.remove(b);
    }
  }

  /** Takes the oldest batch that may run now and runs it; resolves when every task has its answer. */
  async runNextReady(): Promise<void> {
    const batch = this.takeReady(performance.now());
    if (batch === undefined) return;
    const started = performance.now();
    const now = Date.now();
    const tasks = batch.tasks.filter((t) => !rejectIfUnwanted(t, now));
    if (tasks.length === 0) return;
    let rows = 0;
    for (const t of tasks) {
      rows += t.rows;
      // A split request counts once, with its own size, as TF Serving counts Run() calls.
      if (t.part === undefined || t.part.first) this.metrics.recordTask(t.part?.requestRows ?? t.rows, started - t.enqueuedAt);
    }
    const executionRows = this.executionSize(rows);
    this.metrics.recordBatch(rows, executionRows);
    let outputs: Map<string, Tensor>;
    const memory = this.inputMemory.take();
    try {
      outputs = await this.run(mergeInputs(tasks, executionRows, memory));
    } catch (err) {
      for (const t of tasks) t.reject(err as Error);
      return;
    } finally {
      memory?.giveBack();
    }
    memory?.forgetAnyHeldBy(outputs);
    let offset = 0;
    for (const task of tasks) {
      try {
        task.resolve(splitOutputs(outputs, executionRows, offset, task.rows));
      } catch (err) {
        task.reject(err as Error);
      }
      offset += task.rows;
    }
  }

  private openBatchFor(task: BatchTask, padding: boolean): Batch | undefined {
    for (const batch of this.open) if (fits(batch, task, padding)) return batch;
    return undefined;
  }

  private openBatch(): Batch {
    const batch = new Batch(performance.now());
    this.batches.push(batch);
    this.open.push(batch);
    return batch;
  }

  private addTo(batch: Batch, task: BatchTask): void {
    batch.add(task);
    if (batch.rows >= this.batchLimit) this.close(batch);
  }

  private close(batch: Batch): void {
    if (batch.closed) return;
    batch.closed = true;
    this.open.splice(this.open.indexOf(batch), 1);
  }

  /** Removes the batch at `index`, open or closed. */
  private remove(index: number): void {
    const batch = this.batches[index] as Batch;
    this.batches.splice(index, 1);
    if (!batch.closed) this.open.splice(this.open.indexOf(batch), 1);
  }

  /** The oldest batch that is closed (full, or overtaken by a batch of its shape) or whose timeout passed. */
  private takeReady(now: number): Batch | undefined {
    const timeoutMs = this.params.batchTimeoutMicros / 1000;
    for (let i = 0; i < this.batches.length; i++) {
      const batch = this.batches[i] as Batch;
      if (batch.closed || batch.openedAt + timeoutMs <= now) {
        this.remove(i);
        return batch;
      }
    }
    return undefined;
  }

  /** The batch size actually run: the smallest allowed size that holds the rows, if sizes are set. */
  private executionSize(rows: number): number {
    for (const size of this.params.allowedBatchSizes) if (size >= rows) return size;
    return rows;
  }
}

function fits(batch: Batch, task: BatchTask, padding: boolean): boolean {
  const first = batch.tasks[0];
  if (first === undefined) return true;
  if (sameInnerShapes(first.inputs, task.inputs)) return true;
  if (!padding) return false;
  for (const [name, t] of first.inputs) if (task.inputs.get(name)?.shape.length !== t.shape.length) return false;
  return true;
}

function queueFull(): ServingError {
  return new ServingError('UNAVAILABLE', 'The batch scheduling queue to which this task was submitted is full');
}

/** The deadline first: a gRPC server also cancels a call whose deadline passed, and that is a deadline, not a departure. */
function rejectIfUnwanted(task: BatchTask, now: number): boolean {
  if (task.deadline !== undefined && now >= task.deadline) {
    task.reject(new ServingError('DEADLINE_EXCEEDED', 'Deadline Exceeded'));
    return true;
  }
  if (task.signal?.aborted === true) {
    task.reject(new ServingError('CANCELLED', 'Request cancelled: the client went away'));
    return true;
  }
  return false;
}

function mergeInputs(tasks: readonly BatchTask[], executionRows: number, memory: BatchInputMemory | undefined): ReadonlyMap<string, Tensor> {
  const single = tasks[0] as BatchTask;
  if (tasks.length === 1 && single.rows === executionRows) return single.inputs;
  const merged = new Map<string, Tensor>();
  for (const name of single.inputs.keys()) {
    merged.set(
      name,
      concatRows(
        tasks.map((t) => t.inputs.get(name) as Tensor),
        executionRows,
        memory?.allocatorFor(name),
      ),
    );
  }
  return merged;
}

function splitOutputs(outputs: ReadonlyMap<string, Tensor>, executionRows: number, offset: number, rows: number): Map<string, Tensor> {
  const mine = new Map<string, Tensor>();
  for (const [name, tensor] of outputs) {
    if (tensor.shape[0] !== executionRows) {
      throw new ServingError(
        'FAILED_PRECONDITION',
        "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors",
      );
    }
    mine.set(name, offset === 0 && rows === executionRows ? tensor : sliceRows(tensor, offset, rows));
  }
  return mine;
}
