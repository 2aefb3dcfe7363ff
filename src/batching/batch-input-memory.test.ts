import { describe, expect, it } from 'vitest';
import { BatchInputMemory } from './batch-input-memory.js';
import { concatRows } from './tensor-batching.js';
import type { Tensor } from '../tensor/tensor.js';

const rows = (values: number[][]): Tensor => ({ dtype: 'DT_FLOAT', shape: [values.length, values[0]!.length], data: Float32Array.from(values.flat()) });

describe('batch input memory', () => {
  it('hands one batch at a time the same buffer, growing it when a batch is larger', () => {
    const memory = new BatchInputMemory();
    const first = memory.take();
    expect(first).toBe(memory);
    expect(memory.take()).toBeUndefined();
    const a = concatRows([rows([[1, 2]]), rows([[3, 4]])], 2, first!.allocatorFor('x'));
    expect([a.shape, Array.from(a.data as Float32Array)]).toEqual([[2, 2], [1, 2, 3, 4]]);
    first!.giveBack();

    const second = memory.take()!;
    const b = concatRows([rows([[5, 6]]), rows([[7, 8]])], 2, second.allocatorFor('x'));
    expect(Array.from(b.data as Float32Array)).toEqual([5, 6, 7, 8]);
    expect((b.data as Float32Array).buffer).toBe((a.data as Float32Array).buffer);
    // Padding rows repeat the last part's first row, written over whatever the buffer held.
    const c = concatRows([rows([[9, 10]])], 3, second.allocatorFor('x'));
    expect([c.shape, Array.from(c.data as Float32Array)]).toEqual([[3, 2], [9, 10, 9, 10, 9, 10]]);
    expect((c.data as Float32Array).buffer).not.toBe((a.data as Float32Array).buffer);
    second.giveBack();
  });

  it('keeps a buffer per input and dtype, and never holds strings', () => {
    const memory = new BatchInputMemory().take()!;
    const x = memory.allocatorFor('x')('DT_FLOAT', 4);
    const y = memory.allocatorFor('y')('DT_FLOAT', 4);
    expect((x as Float32Array).buffer).not.toBe((y as Float32Array).buffer);
    const xInts = memory.allocatorFor('x')('DT_INT64', 4);
    expect(xInts).toBeInstanceOf(BigInt64Array);
    expect(memory.allocatorFor('s')('DT_STRING', 2)).toEqual([new Uint8Array(0), new Uint8Array(0)]);
  });

  it('lets go of a buffer that a model handed back as an output', () => {
    const memory = new BatchInputMemory().take()!;
    const input = memory.allocatorFor('x')('DT_FLOAT', 4) as Float32Array;
    memory.forgetAnyHeldBy(new Map([['y', { dtype: 'DT_FLOAT', shape: [4], data: input }]]));
    const next = memory.allocatorFor('x')('DT_FLOAT', 4) as Float32Array;
    expect(next.buffer).not.toBe(input.buffer);
    // An output in memory of its own changes nothing.
    memory.forgetAnyHeldBy(new Map([['y', { dtype: 'DT_FLOAT', shape: [4], data: new Float32Array(4) }]]));
    expect((memory.allocatorFor('x')('DT_FLOAT', 4) as Float32Array).buffer).toBe(next.buffer);
  });
});
