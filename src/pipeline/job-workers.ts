/**
 * Parallel shards: the job's own thread and N-1 worker threads (job-worker.ts) take output shards from one queue
 * until it is empty. Each thread owns its model session, reader and shard files, so a shard is written start to
 * end by one thread in input order and committed as in a single-threaded run: the output files, and what a rerun
 * resumes from, are the same whatever the number of workers. Shards rather than model calls go to the workers
 * because for most models reading, shaping and writing rows costs more than the model itself.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ServingError, type CodeName } from '../errors/serving-error.js';
import type { RuntimeOptions } from '../runtime/servable.js';
import type { Signature } from '../runtime/signature.js';
import type { JobMode } from './shard-files.js';
import type { RowCounts, ShardRunOptions } from './shard-runner.js';
import type { OutputShard } from './work-plan.js';

/** Workers by default: one per core, at most this many (each holds a session and a work unit in memory). */
export const MAX_DEFAULT_WORKERS = 4;

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_WORKERS));
}

/** Everything a worker needs to run shards by itself; plain data, copied to the thread. */
export interface JobWorkerSpec {
  readonly outputDirectory: string;
  readonly mode: JobMode;
  readonly shardRun: Omit<ShardRunOptions, 'run' | 'signal'>;
  /** Predict mode: the model to load (the version the job resolved) and the signature to run. */
  readonly model?: WorkerModel | undefined;
  /** Export mode: the signature CSV cells are typed by and instances checked against. */
  readonly exportSignature?: Signature | undefined;
}

export interface WorkerModel {
  readonly dir: string;
  readonly modelName: string;
  readonly version: number;
  readonly signatureName: string;
  readonly runtime: RuntimeOptions;
}

export type ToWorker = { readonly type: 'shard'; readonly shard: OutputShard } | { readonly type: 'stop' } | { readonly type: 'abort' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly rows: number; readonly succeeded: number; readonly failed: number }
  | { readonly type: 'done'; readonly index: number }
  | { readonly type: 'failed'; readonly code: CodeName; readonly message: string };

/** The shards still to hand out, in order; empty once stopped. */
export class ShardQueue {
  private next = 0;
  private stopped = false;

  constructor(private readonly shards: readonly OutputShard[]) {}

  take(): OutputShard | undefined {
    if (this.stopped || this.next >= this.shards.length) return undefined;
    return this.shards[this.next++];
  }

  stop(): void {
    this.stopped = true;
  }
}

export interface PoolEvents {
  /** Rows a worker read and wrote since its last report. */
  onRows(delta: RowCounts): void;
  onShardDone(): void;
}

/**
 * Worker threads taking shards from `queue` until it is empty. `finished` settles when every worker has exited:
 * it rejects with the first worker's failure, after telling the others to abort their shards.
 */
export class WorkerPool {
  readonly finished: Promise<void>;
  private readonly workers: Worker[] = [];
  private failure: ServingError | undefined;

  constructor(count: number, spec: JobWorkerSpec, private readonly queue: ShardQueue, private readonly events: PoolEvents) {
    const exits: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(workerScript(), { workerData: spec });
      this.workers.push(worker);
      exits.push(this.watch(worker));
    }
    this.finished = Promise.all(exits).then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /** Stops handing out shards and makes every worker drop the shard it is on. */
  abort(): void {
    this.queue.stop();
    for (const worker of this.workers) worker.postMessage({ type: 'abort' } satisfies ToWorker);
  }

  /** The first failure of any worker, once there is one. */
  get failed(): ServingError | undefined {
    return this.failure;
  }

  private watch(worker: Worker): Promise<void> {
    return new Promise<void>((resolve) => {
      const hand = (): void => {
        const shard = this.queue.take();
        worker.postMessage((shard === undefined ? { type: 'stop' } : { type: 'shard', shard }) satisfies ToWorker);
      };
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            hand();
            break;
          case 'progress':
            this.events.onRows(message);
            break;
          case 'done':
            this.events.onShardDone();
            hand();
            break;
          case 'failed':
            this.fail(new ServingError(message.code, message.message));
            break;
        }
      });
      worker.on('error', (err) => this.fail(new ServingError('INTERNAL', `a batch job worker stopped: ${err.message}`)));
      worker.on('exit', () => resolve());
    });
  }

  private fail(error: ServingError): void {
    // CANCELLED is how the other workers answer an abort; the first real failure is the job's.
    if (this.failure === undefined || (this.failure.code === 'CANCELLED' && error.code !== 'CANCELLED')) this.failure = error;
    this.abort();
  }
}

/** The worker's script: beside this module when built; from dist/ when this module runs from source (tests). */
function workerScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./job-worker.js', here);
  return new URL('../../dist/pipeline/job-worker.js', here);
}
