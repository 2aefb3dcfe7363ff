// Group commit: calls of one turn go out together, calls made while one runs go out together next; a failure fails exactly the callers it carried.
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/pipeline/stream/group-commit.js';
import { sharedWriteLimit } from '../../src/pipeline/stream/stream-runner.js';

describe('GroupCommit', () => {
  it('sends the calls of one turn together, and merges the calls made while it runs into the next one', async () => {
    const calls: number[][] = [];
    let release: () => void = () => undefined;
    const group = new GroupCommit<number>(async (items) => {
      calls.push([...items]);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = [group.submit([1]), group.submit([2])];
    expect(calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([[1, 2]]);
    const later = [group.submit([3, 4]), group.submit([5]), group.submit([])];
    release();
    await Promise.all([...first, ...later]);
    expect(calls).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('fails every caller of a failed call, and only those', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const group = new GroupCommit<string>(async (items) => {
      calls++;
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      if (items.includes('bad')) throw new Error(`refused ${items.join(',')}`);
    });
    const first = group.submit(['ok']);
    await new Promise((resolve) => setImmediate(resolve));
    const a = group.submit(['bad']);
    const b = group.submit(['also']);
    release();
    await expect(first).resolves.toBeUndefined();
    await expect(a).rejects.toThrow('refused bad,also');
    await expect(b).rejects.toThrow('refused bad,also');
    await expect(group.submit(['fine'])).resolves.toBeUndefined();
    expect(calls).toBe(3);
  });

  it('tells when every submitted call has finished', async () => {
    let release: () => void = () => undefined;
    const group = new GroupCommit<number>(() => new Promise<void>((resolve) => (release = resolve)));
    await group.idle();
    let done = false;
    void group.submit([1]);
    const idle = group.idle().then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(false);
    release();
    await idle;
    expect(done).toBe(true);
  });

  it('splits a merged call larger than maxItems into calls of that size', async () => {
    const calls: number[][] = [];
    const group = new GroupCommit<number>(async (items) => void calls.push([...items]), 2);
    await group.submit([1, 2, 3, 4, 5]);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('takes whole calls up to maxItems, and resolves each caller when the shared call holding it is done', async () => {
    const calls: number[][] = [];
    const releases: Array<() => void> = [];
    const group = new GroupCommit<number>(async (items) => {
      calls.push([...items]);
      await new Promise<void>((resolve) => releases.push(resolve));
    }, 4);
    const done: string[] = [];
    const submissions = [group.submit([1, 2]).then(() => done.push('a')), group.submit([3, 4]).then(() => done.push('b')), group.submit([5]).then(() => done.push('c'))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([[1, 2, 3, 4]]);
    releases[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toEqual(['a', 'b']);
    expect(calls).toEqual([[1, 2, 3, 4], [5]]);
    releases[1]!();
    await Promise.all(submissions);
    expect(done).toEqual(['a', 'b', 'c']);
  });

  it('caps shared sink writes at half of the windows in flight, never below 256 records', () => {
    expect(sharedWriteLimit(128, 4)).toBe(256);
    expect(sharedWriteLimit(512, 8)).toBe(2048);
    expect(sharedWriteLimit(16, 4)).toBe(256);
    expect(sharedWriteLimit(1, 1)).toBe(256);
  });
});
