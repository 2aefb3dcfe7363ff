// enable_large_batch_splitting: one request spread over several batches and its answers put back together.
import { ServingError } from '../errors/serving-error.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchTask, CancellationSignal } from './batch-task.js';
import { concatRows, sliceRows } from './tensor-batching.js';

/**
 * Part sizes as TF Serving's batch scheduler cuts them: first the room left in the open batch (if any), then
 * whole batches of `limit` rows, then the rest. The sizes add up to `rows`.
 */
export function partSizes(rows: number, room: number, limit: number): number[] {
  const sizes: number[] = [];
  let left = rows;
  if (room > 0) {
    const head = Math.min(room, left);
    sizes.push(head);
    left -= head;
  }
  while (left > 0) {
    const size = Math.min(limit, left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/**
 * Cuts a task into parts of the given sizes (rows in order). The task is answered once every part is: its
 * outputs are the parts' outputs joined along dimension 0, in order. The first failing part fails the task,
 * and the parts still queued are then dropped instead of run.
 */
export function splitTask(task: BatchTask, sizes: readonly number[]): BatchTask[] {
  const outputs: Array<Map<string, Tensor> | undefined> = new Array(sizes.length).fill(undefined);
  let waiting = sizes.length;
  let failed = false;
  const signal: CancellationSignal = {
    get aborted() {
      return failed || task.signal?.aborted === true;
    },
  };
  const fail = (error: Error): void => {
    if (failed) return;
    failed = true;
    task.reject(error);
  };
  const parts: BatchTask[] = [];
  let start = 0;
  sizes.forEach((rows, index) => {
    const inputs = new Map<string, Tensor>();
    for (const [name, tensor] of task.inputs) inputs.set(name, sliceRows(tensor, start, rows));
    start += rows;
    parts.push({
      inputs,
      rows,
      deadline: task.deadline,
      signal,
      enqueuedAt: task.enqueuedAt,
      part: { first: index === 0, requestRows: task.rows },
      resolve: (partOutputs) => {
        if (failed) return;
        outputs[index] = partOutputs;
        if (--waiting > 0) return;
        try {
          task.resolve(joinOutputs(outputs as Array<Map<string, Tensor>>, task.rows));
        } catch (err) {
          fail(err as Error);
        }
      },
      reject: fail,
    });
  });
  return parts;
}

function joinOutputs(parts: ReadonlyArray<Map<string, Tensor>>, rows: number): Map<string, Tensor> {
  const joined = new Map<string, Tensor>();
  for (const name of (parts[0] as Map<string, Tensor>).keys()) {
    const pieces = parts.map((p) => p.get(name));
    if (pieces.some((p) => p === undefined)) throw new ServingError('INTERNAL', `Output '${name}' is missing from a part of a split request`);
    joined.set(name, concatRows(pieces as Tensor[], rows));
  }
  return joined;
}
