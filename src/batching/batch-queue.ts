import { ServingError } from '../errors/serving-error.js';
import type { BatchingParameters } from '../repository/batching-parameters.js';
import type { Tensor } from '../tensor/tensor.js';
import { Batch, type BatchTask } from './batch-task.js';
import type { BatchMetrics } from './batch-metrics.js';
import { BatchInputMemory } from './batch-input-memory.js';
import { concatRows, sameInnerShapes, sliceRows } from './tensor-batching.js';

export type BatchRun = (inputs: ReadonlyMap<string, Tensor>) => Promise<Map<string, Tensor>>;

/**
 * The queue of one servable signature: requests join the open batch while it has room and a
 * compatible shape, otherwise a new batch opens behind it — up to max_enqueued_batches, past which
 * requests are refused at once rather than left to time out.
 */
export class BatchQueue {
  private readonly batches: Batch[] = [];
  private readonly inputMemory = new BatchInputMemory();

  constructor(
    readonly params: BatchingParameters,
    private readonly run: BatchRun,
    private readonly metrics: BatchMetrics,
  ) {}

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
    const { maxBatchSize, maxEnqueuedBatches, padVariableLengthInputs } = this.params;
    if (task.rows > maxBatchSize) {
      throw new ServingError('INVALID_ARGUMENT', `Task size ${task.rows} is larger than maximum input batch size ${maxBatchSize}`);
    }
    const open = this.batches[this.batches.length - 1];
    if (open !== undefined && !open.closed && open.rows + task.rows <= maxBatchSize && fits(open, task, padVariableLengthInputs)) {
      open.add(task);
      return;
    }
    if (this.batches.length >= maxEnqueuedBatches) {
      throw new ServingError('UNAVAILABLE', 'The batch scheduling queue to which this task was submitted is full');
    }
    if (open !== undefined) open.closed = true;
    const batch = new Batch(performance.now());
    batch.add(task);
    this.batches.push(batch);
  }

  /** When the head batch may run: now (0), at a time (ms, performance clock), or never (no batch). */
  readyAt(): number | undefined {
    const head = this.batches[0];
    if (head === undefined) return undefined;
    if (head.closed || head.rows >= this.params.maxBatchSize) return 0;
    return head.openedAt + this.params.batchTimeoutMicros / 1000;
  }

  /** Answers queued tasks whose caller left or whose deadline passed, so they never run. */
  dropUnwanted(now: number): void {
    for (const batch of this.batches) {
      for (let i = batch.tasks.length - 1; i >= 0; i--) {
        const task = batch.tasks[i] as BatchTask;
        if (!rejectIfUnwanted(task, now)) continue;
        batch.tasks.splice(i, 1);
        batch.rows -= task.rows;
      }
    }
    for (let i = this.batches.length - 1; i >= 0; i--) if ((this.batches[i] as Batch).tasks.length === 0) this.batches.splice(i, 1);
  }

  /** Takes the head batch and runs it; resolves when every task has its answer. */
  async runHead(): Promise<void> {
    const batch = this.batches.shift();
    if (batch === undefined) return;
    const started = performance.now();
    const now = Date.now();
    const tasks = batch.tasks.filter((t) => !rejectIfUnwanted(t, now));
    if (tasks.length === 0) return;
    let rows = 0;
    for (const t of tasks) {
      rows += t.rows;
      this.metrics.recordTask(t.rows, started - t.enqueuedAt);
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

function rejectIfUnwanted(task: BatchTask, now: number): boolean {
  if (task.signal?.aborted === true) {
    task.reject(new ServingError('CANCELLED', 'Request cancelled: the client went away'));
    return true;
  }
  if (task.deadline !== undefined && now >= task.deadline) {
    task.reject(new ServingError('DEADLINE_EXCEEDED', 'Deadline Exceeded'));
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
