/**
 * A batch prediction job over files or a table: plan the work, take this process's output shards, skip the ones a
 * previous run committed, and run the rest (see shard-runner.ts) — in this thread, or with worker threads taking
 * shards in parallel (see job-workers.ts) — adding up rows and progress as shards are written and committed.
 */
import { ServingError } from '../errors/serving-error.js';
import type { ShapingOptions } from './instance-shaper.js';
import type { JobManifest } from './job-manifest.js';
import { openJobInput, openJobOutput } from './job-io.js';
import type { JobOutput } from './job-output.js';
import { ShardQueue, WorkerPool, type JobWorkerSpec, type WorkerModel } from './job-workers.js';
import type { JobProgress, ProgressListener } from './progress-reporter.js';
import type { RowValidation } from './row-validation.js';
import { ShardRunner, type JobRun, type RowCounts } from './shard-runner.js';
import { isTableUrl } from '../readers/table-url.js';
import { UnitReader } from './unit-reader.js';
import { ownedShards, type OutputShard, type PlanOptions, type WorkPlan } from './work-plan.js';

export type { JobRun } from './shard-runner.js';

export interface BatchJobOptions {
  readonly plan: Omit<PlanOptions, 'exclude'>;
  /** A directory, or a table URL (see readers/table-url.ts). */
  readonly output: string;
  readonly shaping: ShapingOptions;
  readonly run: JobRun;
  /** Instances per model call. */
  readonly batchSize: number;
  /** Batches sent to the model before the oldest one is answered (default 1); rows are still written in input order. */
  readonly batchesInFlight?: number | undefined;
  /** Set to stop the job: it fails with CANCELLED at the next record and leaves no partial shard. */
  readonly signal?: { readonly aborted: boolean } | undefined;
  readonly shardIndex: number;
  readonly shardCount: number;
  /** Which model version the predictions come from, recorded so a resume cannot mix versions. */
  readonly model?: { readonly name: string; readonly version: number; readonly signature: string } | undefined;
  readonly progress?: ProgressListener | undefined;
  /**
   * Threads running shards at once (default 1: this one). More need a directory output, file input and, in
   * predict mode, `workerModel`; otherwise the job runs in this thread alone.
   */
  readonly workers?: number | undefined;
  /** `--validate_with`: each row checked against a schema before it is predicted (see row-validation.ts). */
  readonly validation?: RowValidation | undefined;
  /** Error rows name their input, and paths in their messages, relative to this directory. */
  readonly pathsRelativeTo?: string | undefined;
  /** The model each worker thread loads its own session of (an embedded model; remote ones need no workers). */
  readonly workerModel?: Omit<WorkerModel, 'signatureName'> | undefined;
}

export interface BatchJobSummary {
  readonly rows: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly shardsTotal: number;
  readonly shardsOwned: number;
  readonly shardsWritten: number;
  /** Owned shards a previous run had committed. */
  readonly shardsSkipped: number;
  /** Failed rows in those committed shards (not in `rows` or `failed`, which count this run). */
  readonly committedFailedRows: number;
  readonly elapsedMs: number;
}

export const EXPORT_KEY_IN_ARRAY =
  'export mode writes the --key_field value inside each instance, which an array instance cannot hold; export objects (no --instance_type array) and set instanceType array and keyField in the external job';

export async function runBatchJob(options: BatchJobOptions): Promise<BatchJobSummary> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new ServingError('INVALID_ARGUMENT', `batch size must be a positive integer, got ${options.batchSize}`);
  if (!(options.shardCount >= 1 && options.shardIndex >= 0 && options.shardIndex < options.shardCount)) {
    throw new ServingError('INVALID_ARGUMENT', `shard index ${options.shardIndex} is not within shard count ${options.shardCount}`);
  }
  if (options.validation?.mode === 'flag' && (options.run.mode === 'export' || isTableUrl(options.output))) {
    throw new ServingError('INVALID_ARGUMENT', 'validation mode flag lists anomalies on prediction lines, which export files and tables do not have; use refuse');
  }
  if (options.run.mode === 'export' && options.shaping.keyField !== undefined && options.shaping.instanceType === 'array') {
    throw new ServingError('INVALID_ARGUMENT', EXPORT_KEY_IN_ARRAY);
  }
  const output = await openJobOutput({ output: options.output, mode: options.run.mode, hasKey: options.shaping.keyField !== undefined, model: options.model });
  try {
    const input = await openJobInput({ plan: options.plan, keyField: options.shaping.keyField, shardCount: options.shardCount, exclude: output.directory });
    try {
      const { plan } = input;
      const owned = ownedShards(plan, options.shardIndex, options.shardCount);
      const { todo, committedFailedRows } = await output.claim(manifestOf(options, plan), owned);
      const reader = new UnitReader(input.tables);
      const spec = workerSpec(options, output, plan);
      const workers = spec === undefined ? 0 : Math.min(Math.max(1, options.workers ?? 1), todo.length) - 1;
      const summary = await new JobExecution(options, output, reader, todo, owned.length - todo.length, plan.shards.length, owned.length).run(spec, workers);
      return { ...summary, committedFailedRows };
    } finally {
      await input.tables?.close();
    }
  } finally {
    await output.close();
  }
}

/** What worker threads need to run this job's shards, or undefined when it must run in this thread alone. */
function workerSpec(options: BatchJobOptions, output: JobOutput, plan: WorkPlan): JobWorkerSpec | undefined {
  if ((options.workers ?? 1) <= 1 || output.directory === undefined || plan.table !== undefined) return undefined;
  const { run } = options;
  const shardRun = {
    shaping: options.shaping,
    batchSize: options.batchSize,
    batchesInFlight: options.batchesInFlight,
    validation: options.validation,
    pathsRelativeTo: options.pathsRelativeTo,
  };
  if (run.mode === 'export') return { outputDirectory: output.directory, mode: 'export', shardRun, exportSignature: run.signature };
  if (options.workerModel === undefined || options.model === undefined) return undefined;
  return { outputDirectory: output.directory, mode: 'predict', shardRun, model: { ...options.workerModel, signatureName: options.model.signature } };
}

function manifestOf(options: BatchJobOptions, plan: WorkPlan): JobManifest {
  const { shaping } = options;
  return {
    mode: options.run.mode,
    files: plan.files.map((f) => ({ path: f.path, format: f.format, size: f.size, mtime_ms: f.mtimeMs })),
    ...(plan.table === undefined ? {} : { table: plan.table }),
    records_per_unit: options.plan.recordsPerUnit,
    ...(plan.files.some((f) => f.format === 'tfrecord') ? { tfrecord_payload: options.plan.tfrecord?.payload ?? 'example' } : {}),
    num_output_shards: plan.shards.length,
    shaping: {
      key_field: shaping.keyField ?? null,
      included_fields: shaping.includedFields ?? null,
      excluded_fields: shaping.excludedFields ?? null,
      instance_type: shaping.instanceType ?? null,
    },
    model: options.model ?? null,
    ...(options.validation === undefined ? {} : { validation: { schema: options.validation.source, mode: options.validation.mode, environment: options.validation.environment ?? null } }),
  };
}

class JobExecution {
  private readonly started = performance.now();
  private readonly expectedRows: number;
  private readonly counts: RowCounts = { rows: 0, succeeded: 0, failed: 0 };
  private shardsDone = 0;

  constructor(
    private readonly options: BatchJobOptions,
    private readonly output: JobOutput,
    private readonly reader: UnitReader,
    private readonly todo: readonly OutputShard[],
    private readonly skipped: number,
    private readonly total: number,
    private readonly owned: number,
  ) {
    this.expectedRows = todo.reduce((n, s) => n + s.size, 0);
  }

  /** Runs every shard to do, here and in `workers` worker threads (0: here alone). */
  async run(spec: JobWorkerSpec | undefined, workers: number): Promise<Omit<BatchJobSummary, 'committedFailedRows'>> {
    const queue = new ShardQueue(this.todo);
    const showProgress = (): void => this.options.progress?.update(this.progress());
    const pool =
      spec === undefined || workers < 1
        ? undefined
        : new WorkerPool(workers, spec, queue, {
            onRows: (delta) => {
              this.counts.rows += delta.rows;
              this.counts.succeeded += delta.succeeded;
              this.counts.failed += delta.failed;
              if (this.options.signal?.aborted === true) pool?.abort();
              showProgress();
            },
            onShardDone: () => {
              this.shardsDone++;
              showProgress();
            },
          });
    // This thread stops too when a worker fails (or the job is cancelled).
    const cancel = this.options.signal;
    const signal = {
      get aborted(): boolean {
        return pool?.failed !== undefined || cancel?.aborted === true;
      },
    };
    const runner = new ShardRunner({ ...this.options, signal }, this.output, this.reader, this.counts, showProgress);
    let failure: unknown;
    try {
      for (let shard = queue.take(); shard !== undefined; shard = queue.take()) {
        await runner.runShard(shard);
        this.shardsDone++;
        showProgress();
      }
    } catch (err) {
      failure = err;
      pool?.abort();
    }
    if (pool !== undefined) {
      // A worker's failure is the cause; this thread's CANCELLED only follows from it.
      await pool.finished.catch((err: unknown) => {
        if (failure === undefined || (failure instanceof ServingError && failure.code === 'CANCELLED' && pool.failed !== undefined)) failure = err;
      });
    }
    if (failure !== undefined) throw failure;
    this.options.progress?.finish(this.progress());
    return {
      rows: this.counts.rows,
      succeeded: this.counts.succeeded,
      failed: this.counts.failed,
      shardsTotal: this.total,
      shardsOwned: this.owned,
      shardsWritten: this.todo.length,
      shardsSkipped: this.skipped,
      elapsedMs: performance.now() - this.started,
    };
  }

  private progress(): JobProgress {
    return {
      rows: this.counts.rows,
      succeeded: this.counts.succeeded,
      failed: this.counts.failed,
      expectedRows: this.expectedRows,
      shardsDone: this.shardsDone,
      shardsToDo: this.todo.length,
      elapsedMs: performance.now() - this.started,
    };
  }
}
