/**
 * `stats` on several cores: this thread and `workers − 1` worker threads (statistics-worker.ts) take units
 * (statistics-units.ts) from one queue; each unit's statistics come back as sketch state and are merged here in
 * unit order — the way `stats merge` combines shards — so the result is the same for any number of workers.
 * Units are handed out at most a window ahead of the merge, so finished but unmerged units stay few.
 */
import { Worker } from 'node:worker_threads';
import { ServingError, toServingError, type CodeName } from '../errors/serving-error.js';
import type { ParquetColumnSource } from './readers/parquet-column-batches.js';
import { DEFAULT_SKETCH_SIZES, StatisticsAccumulator, type StatisticsAccumulatorState } from './statistics-accumulator.js';
import { accumulateUnit, type StatisticsUnit, type UnitSettings } from './statistics-units.js';

export type ToStatisticsWorker = { readonly type: 'unit'; readonly unit: StatisticsUnit } | { readonly type: 'stop' };

export type FromStatisticsWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'rows'; readonly rows: number }
  | { readonly type: 'done'; readonly index: number; readonly state: StatisticsAccumulatorState }
  | { readonly type: 'failed'; readonly code: CodeName; readonly message: string };

export interface UnitRunOptions {
  /** Threads in all, this one included. */
  readonly workers: number;
  readonly settings: UnitSettings;
  /** This thread's Parquet reader. */
  readonly parquet: () => Promise<ParquetColumnSource>;
  readonly onRows: (rows: number) => void;
}

/** Every unit's statistics, merged in unit order. */
export async function accumulateUnits(units: readonly StatisticsUnit[], options: UnitRunOptions): Promise<StatisticsAccumulator> {
  const merge = new OrderedMerge(new StatisticsAccumulator(options.settings.sliceBy, DEFAULT_SKETCH_SIZES, options.settings.maxSlices));
  const threads = Math.max(1, Math.min(options.workers, units.length));
  const queue = new UnitQueue(units, merge, 2 * threads);
  const workers = Array.from({ length: threads - 1 }, () => runWorker(queue, merge, options));
  try {
    for (let unit = await queue.take(); unit !== undefined; unit = await queue.take()) {
      merge.deliver(unit.index, await accumulateUnit(unit, options.settings, options.parquet, options.onRows));
    }
  } catch (err) {
    queue.fail(toServingError(err));
  }
  await Promise.all(workers);
  if (queue.failure !== undefined) throw queue.failure;
  return merge.result;
}

/** Merges results in index order as they arrive in any order. */
class OrderedMerge {
  next = 0;
  private readonly waiting = new Map<number, StatisticsAccumulator>();
  private readonly listeners: Array<() => void> = [];

  constructor(readonly result: StatisticsAccumulator) {}

  deliver(index: number, accumulator: StatisticsAccumulator): void {
    this.waiting.set(index, accumulator);
    for (let ready = this.waiting.get(this.next); ready !== undefined; ready = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.result.merge(ready);
      this.next++;
    }
    for (const listener of this.listeners.splice(0)) listener();
  }

  /** Resolves at the next delivery. */
  advanced(): Promise<void> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }
}

class UnitQueue {
  failure: ServingError | undefined;
  private next = 0;

  constructor(
    private readonly units: readonly StatisticsUnit[],
    private readonly merge: OrderedMerge,
    private readonly window: number,
  ) {}

  /** The next unit, once it is within the window of the merge; undefined when none is left or a thread failed. */
  async take(): Promise<StatisticsUnit | undefined> {
    for (;;) {
      if (this.failure !== undefined || this.next >= this.units.length) return undefined;
      if (this.next < this.merge.next + this.window) return this.units[this.next++];
      await Promise.race([this.merge.advanced(), this.failed()]);
    }
  }

  fail(error: ServingError): void {
    this.failure ??= error;
    for (const listener of this.onFailure.splice(0)) listener();
  }

  private readonly onFailure: Array<() => void> = [];

  private failed(): Promise<void> {
    return new Promise((resolve) => this.onFailure.push(resolve));
  }
}

function runWorker(queue: UnitQueue, merge: OrderedMerge, options: UnitRunOptions): Promise<void> {
  return new Promise<void>((resolve) => {
    const worker = new Worker(workerScript(), { workerData: options.settings });
    const hand = (): void => {
      void queue.take().then((unit) => worker.postMessage((unit === undefined ? { type: 'stop' } : { type: 'unit', unit }) satisfies ToStatisticsWorker));
    };
    worker.on('message', (message: FromStatisticsWorker) => {
      switch (message.type) {
        case 'ready':
          hand();
          break;
        case 'rows':
          options.onRows(message.rows);
          break;
        case 'done':
          try {
            merge.deliver(message.index, StatisticsAccumulator.fromState(message.state));
          } catch (err) {
            queue.fail(toServingError(err));
          }
          hand();
          break;
        case 'failed':
          queue.fail(new ServingError(message.code, message.message));
          hand();
          break;
      }
    });
    worker.on('error', (err) => queue.fail(new ServingError('INTERNAL', `a statistics worker stopped: ${err.message}`)));
    worker.on('exit', () => resolve());
  });
}

/** The compiled worker next to this module; under the TypeScript sources (tests), the build's copy. */
function workerScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./statistics-worker.js', here);
  return new URL('../../dist/validation/statistics-worker.js', here);
}
