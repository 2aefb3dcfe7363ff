import type { DType } from '../tensor/dtype.js';
import { allocateData, isStringData, type Tensor, type TensorData } from '../tensor/tensor.js';
import type { Allocator } from './tensor-batching.js';

/**
 * The merged inputs of one queue's batches, kept from one batch to the next: a fresh typed array per batch
 * costs more than filling it (an off-heap allocation the garbage collector must also track). The runtime
 * only reads inputs while a batch runs, so the next batch may reuse them; a second batch running at the
 * same time (num_batch_threads > 1) allocates its own.
 */
export class BatchInputMemory {
  private readonly buffers = new Map<string, { readonly dtype: DType; readonly data: TensorData }>();
  private inUse = false;

  /** This memory for one batch, or undefined while another batch of the queue holds it. */
  take(): BatchInputMemory | undefined {
    if (this.inUse) return undefined;
    this.inUse = true;
    return this;
  }

  giveBack(): void {
    this.inUse = false;
  }

  allocatorFor(name: string): Allocator {
    return (dtype, count) => {
      if (dtype === 'DT_STRING') return allocateData(dtype, count);
      let held = this.buffers.get(name);
      if (held === undefined || held.dtype !== dtype || held.data.length < count) {
        held = { dtype, data: allocateData(dtype, count) };
        this.buffers.set(name, held);
      }
      return (held.data as Exclude<TensorData, Uint8Array[]>).subarray(0, count);
    };
  }

  /** A model may hand an input back as an output (Identity): such memory now belongs to that answer. */
  forgetAnyHeldBy(outputs: ReadonlyMap<string, Tensor>): void {
    for (const output of outputs.values()) {
      if (isStringData(output.data)) continue;
      for (const [name, held] of this.buffers) {
        if (!isStringData(held.data) && held.data.buffer === output.data.buffer) this.buffers.delete(name);
      }
    }
  }
}
