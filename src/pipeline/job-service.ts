/**
 * On-demand batch jobs inside the model server (embedded-tf's idea, without its gaps): a caller names a model,
 * an input file or directory and an output directory inside the job root; the job is queued, answered with an
 * id at once, and runs each input file through the batch job runner (streamed, sharded, resumable), writing
 * `<output>/<path of the file below the input>/prediction.results-…` so the output tree mirrors the input
 * tree. Jobs run side by side up to a count and an estimated memory budget; the rest wait in order.
 * A job whose rows failed ends `failed`, its error counting them (as `millrace predict` exits 1), though the
 * rows that were predicted are written. Paths in answers, messages and error rows are relative to the job root.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { ServingError, toServingError } from '../errors/serving-error.js';
import type { Logger } from '../logging/logger.js';
import type { RuntimeOptions } from '../runtime/servable.js';
import { DEFAULT_SIGNATURE } from '../runtime/signature.js';
import { runBatchJob } from './batch-job.js';
import { JobModelCache, modelFootprint, type ModelFootprint } from './job-models.js';
import type { InstanceType, ShapingOptions } from './instance-shaper.js';
import { isInside, JobRoot, LIST_OR_GLOB_CHARS } from './job-paths.js';
import { parseInputFormat } from '../readers/input-format.js';
import type { JobProgress } from './progress-reporter.js';
import { listInputFiles } from '../readers/input-files.js';

/** Which of a new job's paths may not overlap which of an active job's, in the order they are checked. */
const ACTIVE_JOB_CLASHES = [
  ['output', 'output'],
  ['output', 'input'],
  ['output', 'model'],
  ['input', 'output'],
] as const;

export interface JobServiceOptions {
  /** `--job_root`: every path of a job resolves inside it. */
  readonly root: string;
  /** `--job_memory_budget`, bytes the running jobs may use together by estimate. */
  readonly memoryBudgetBytes: number;
  /** `--max_concurrent_jobs`. */
  readonly maxConcurrentJobs: number;
  readonly runtime?: RuntimeOptions | undefined;
  readonly logger: Logger;
}

export interface JobRequest {
  readonly model: string;
  readonly input: string;
  readonly output: string;
  readonly modelName?: string | undefined;
  readonly batchSize?: number | undefined;
  /** Instance shaping, as `millrace predict`'s flags of the same names. */
  readonly keyField?: string | undefined;
  readonly includedFields?: readonly string[] | undefined;
  readonly excludedFields?: readonly string[] | undefined;
  readonly instanceType?: string | undefined;
  /** The input format when file names do not tell. */
  readonly format?: string | undefined;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** A job as GET /v1/jobs/{id} shows it. */
export interface JobStatus {
  readonly id: string;
  readonly state: JobState;
  readonly model: string;
  readonly input: string;
  readonly output: string;
  readonly submitted_at: string;
  readonly started_at?: string;
  readonly finished_at?: string;
  /** Why a queued job waits. */
  readonly waiting_for?: string;
  readonly memory_estimate_bytes: number;
  readonly progress: { readonly rows_read: number; readonly rows_predicted: number; readonly rows_failed: number; readonly files_done: number; readonly files_total: number };
  /** Output directories written, relative to the job root, one per input file. */
  readonly outputs: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Memory a job is expected to need: the model file size × MODEL_FACTOR (the runtime's copy of the weights, its
 * arenas, the parsed graph), plus buffers for the rows of the batches in flight, plus a fixed part (reader and
 * writer buffers). An estimate to keep jobs apart, not a measurement.
 */
export const MODEL_FACTOR = 3;
export const BYTES_PER_ROW = 4096;
export const JOB_BASE_BYTES = 8 * 1024 * 1024;
const DEFAULT_BATCH_SIZE = 256;
/** Finished jobs kept for GET; older ones are forgotten first. */
const KEPT_FINISHED_JOBS = 1000;
const CACHED_MODELS = 4;

export function estimateJobBytes(modelBytes: number, batchSize: number): number {
  // Two batches live at once: one at the model, the next being read.
  return modelBytes * MODEL_FACTOR + 2 * 4 * batchSize * BYTES_PER_ROW + JOB_BASE_BYTES;
}

interface Job {
  readonly id: string;
  readonly request: JobRequest;
  readonly paths: { readonly model: string; readonly input: string; readonly output: string };
  readonly shaping: ShapingOptions;
  readonly footprint: ModelFootprint | undefined;
  readonly estimate: number;
  readonly submittedAt: Date;
  state: JobState;
  startedAt?: Date;
  finishedAt?: Date;
  waitingFor?: string;
  error?: ServingError;
  done: { rows: number; succeeded: number; failed: number };
  /** Failed rows of shards an earlier job with the same output had committed (skipped by this one). */
  committedFailed: number;
  current: JobProgress | undefined;
  filesDone: number;
  filesTotal: number;
  outputs: string[];
  readonly signal: { aborted: boolean };
}

export class JobService {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly running = new Map<Job, Promise<void>>();
  private readonly models: JobModelCache;
  private usedBytes = 0;
  private closed = false;

  private constructor(
    private readonly root: JobRoot,
    private readonly options: JobServiceOptions,
  ) {
    this.models = new JobModelCache(CACHED_MODELS, options.runtime);
  }

  static async open(options: JobServiceOptions): Promise<JobService> {
    if (!(options.maxConcurrentJobs >= 1)) throw new ServingError('INVALID_ARGUMENT', `--max_concurrent_jobs must be at least 1, got ${options.maxConcurrentJobs}`);
    if (!(options.memoryBudgetBytes >= 1)) throw new ServingError('INVALID_ARGUMENT', `--job_memory_budget must be at least 1 byte, got ${options.memoryBudgetBytes}`);
    return new JobService(await JobRoot.open(options.root), options);
  }

  /** Checks the paths (INVALID_ARGUMENT naming the parameter) and queues the job; its id comes back at once. */
  async submit(request: JobRequest): Promise<JobStatus> {
    if (this.closed) throw new ServingError('UNAVAILABLE', 'the job service is shutting down');
    const batchSize = request.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ServingError('INVALID_ARGUMENT', `parameter "batch_size" must be a positive integer, got ${batchSize}`);
    const shaping = shapingOf(request);
    const paths = {
      model: await this.root.resolve('model', request.model),
      input: await this.root.resolve('input', request.input),
      output: await this.root.resolve('output', request.output),
    };
    this.checkApart(paths);
    this.checkApartFromActiveJobs(paths);
    // A model that cannot be read fails the job (saying why) rather than the request.
    const footprint = await modelFootprint(paths.model, this.root).catch(() => undefined);
    const job: Job = {
      id: randomBytes(8).toString('hex'),
      request: { ...request, batchSize },
      paths,
      shaping,
      footprint,
      estimate: estimateJobBytes(footprint?.bytes ?? 0, batchSize),
      submittedAt: new Date(),
      state: 'queued',
      done: { rows: 0, succeeded: 0, failed: 0 },
      committedFailed: 0,
      current: undefined,
      filesDone: 0,
      filesTotal: 0,
      outputs: [],
      signal: { aborted: false },
    };
    this.jobs.set(job.id, job);
    this.forgetOldJobs();
    if (job.estimate > this.options.memoryBudgetBytes) {
      this.finish(job, new ServingError('RESOURCE_EXHAUSTED', `the job needs an estimated ${job.estimate} bytes, more than --job_memory_budget (${this.options.memoryBudgetBytes})`));
    } else {
      this.queue.push(job);
      this.options.logger.log('info', 'job_queued', { id: job.id, model: request.model, input: request.input, output: request.output, memory_estimate_bytes: job.estimate });
      this.pump();
    }
    return statusOf(job);
  }

  get(id: string): JobStatus | undefined {
    const job = this.jobs.get(id);
    return job === undefined ? undefined : statusOf(job);
  }

  list(): JobStatus[] {
    return [...this.jobs.values()].map(statusOf);
  }

  /** Stops running jobs (their current shards are discarded), fails queued ones, and closes the models. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.finish(job, new ServingError('CANCELLED', 'the server shut down before the job started'));
    for (const job of this.running.keys()) job.signal.aborted = true;
    await Promise.all(this.running.values());
    await this.models.close();
  }

  /** Starts queued jobs in order while the next one fits both limits. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const next = this.queue[0]!;
      if (this.running.size >= this.options.maxConcurrentJobs) {
        next.waitingFor = `a job slot (${this.running.size} of --max_concurrent_jobs ${this.options.maxConcurrentJobs} running)`;
        break;
      }
      if (this.usedBytes + next.estimate > this.options.memoryBudgetBytes) {
        next.waitingFor = `memory (needs an estimated ${next.estimate} bytes; ${this.usedBytes} of --job_memory_budget ${this.options.memoryBudgetBytes} in use)`;
        break;
      }
      this.queue.shift();
      this.usedBytes += next.estimate;
      next.state = 'running';
      next.startedAt = new Date();
      delete next.waitingFor;
      const run = this.run(next).then(
        () => this.finish(next, this.rowsFailed(next)),
        (err: unknown) => this.finish(next, toServingError(err)),
      );
      this.running.set(
        next,
        run.finally(() => {
          this.running.delete(next);
          this.usedBytes -= next.estimate;
          this.pump();
        }),
      );
    }
    for (const waiting of this.queue.slice(1)) waiting.waitingFor = 'earlier jobs in the queue';
  }

  private async run(job: Job): Promise<void> {
    const files = await this.inputFiles(job);
    job.filesTotal = files.length;
    const footprint = job.footprint ?? (await modelFootprint(job.paths.model, this.root));
    const lease = await this.models.acquire(job.paths.model, job.request.modelName, footprint);
    try {
      const { model } = lease;
      const signature = model.signatures.get(DEFAULT_SIGNATURE);
      if (signature === undefined) throw new ServingError('FAILED_PRECONDITION', `model ${model.modelName} version ${model.version} has no signature "${DEFAULT_SIGNATURE}"`);
      if (job.shaping.instanceType === 'array' && signature.inputs.size !== 1) {
        throw new ServingError(
          'INVALID_ARGUMENT',
          `parameter "instance_type" array feeds one input, but signature ${signature.key} has ${signature.inputs.size} (${[...signature.inputs.keys()].join(', ')}); use object`,
        );
      }
      for (const file of files) {
        const output = join(job.paths.output, file.relative);
        job.outputs.push(this.root.relative(output));
        const summary = await runBatchJob({
          plan: { input: file.path, format: job.request.format ?? '', recordsPerUnit: 100_000, numOutputShards: 0 },
          output,
          shaping: job.shaping,
          run: { mode: 'predict', target: { predictor: model.predictor, modelSpec: { name: model.modelName, version: model.version }, signature } },
          batchSize: job.request.batchSize ?? DEFAULT_BATCH_SIZE,
          shardIndex: 0,
          shardCount: 1,
          model: { name: model.modelName, version: model.version, signature: DEFAULT_SIGNATURE },
          progress: { update: (p) => void (job.current = p), finish: () => undefined },
          signal: job.signal,
          pathsRelativeTo: this.root.real,
        });
        job.done = { rows: job.done.rows + summary.rows, succeeded: job.done.succeeded + summary.succeeded, failed: job.done.failed + summary.failed };
        job.committedFailed += summary.committedFailedRows;
        job.current = undefined;
        job.filesDone++;
      }
    } finally {
      await lease.release();
    }
  }

  /** The input files and where each one's output goes below the job's output directory. */
  private async inputFiles(job: Job): Promise<Array<{ path: string; relative: string }>> {
    const input = job.paths.input;
    const info = await stat(input).catch(() => {
      throw new ServingError('NOT_FOUND', `input ${this.root.relative(input)} does not exist in the job root`);
    });
    const paths = await listInputFiles(input, job.paths.output);
    const files = [];
    for (const path of paths) {
      await this.root.check(path, 'input file');
      // Each file is handed to the batch job as its input spec, which would split or expand these characters.
      const listOrGlob = LIST_OR_GLOB_CHARS.exec(path);
      if (listOrGlob !== null) {
        throw new ServingError('INVALID_ARGUMENT', `input file ${this.root.relative(path)} has "${listOrGlob[0]}" in its path, which a job cannot read as a plain path; rename it`);
      }
      files.push({ path, relative: info.isDirectory() ? relative(input, path) : basename(path) });
    }
    return files;
  }

  /**
   * The output must not overlap the input (results would become input, or input be overwritten) nor lie in the
   * model's directory (a model source would find the files). INVALID_ARGUMENT naming both paths.
   */
  private checkApart(paths: Job['paths']): void {
    const show = (path: string): string => this.root.relative(path);
    const { model, input, output } = paths;
    const refuse = (message: string): ServingError => new ServingError('INVALID_ARGUMENT', message);
    if (input === output) throw refuse(`parameters "input" and "output" both name ${show(input)}; give the output a directory of its own`);
    if (isInside(output, input)) throw refuse(`parameter "output" (${show(output)}) is inside the input (${show(input)}); give the output a directory outside it`);
    if (isInside(input, output)) throw refuse(`parameter "input" (${show(input)}) is inside the output (${show(output)}); give the output a directory that does not hold the input`);
    if (isInside(output, model)) throw refuse(`parameter "output" (${show(output)}) is inside the model directory (${show(model)}); give the output a directory outside it`);
    if (isInside(model, output)) throw refuse(`parameter "model" (${show(model)}) is inside the output (${show(output)}); give the output a directory that does not hold the model`);
  }

  /**
   * Nor may it overlap what a queued or running job reads or writes: two jobs writing one directory would
   * discard each other's unfinished shards, and a job reading another's output would read it half written.
   * FAILED_PRECONDITION naming the other job; it can be submitted again once that job has finished.
   */
  private checkApartFromActiveJobs(paths: Job['paths']): void {
    for (const other of this.jobs.values()) {
      if (other.state !== 'queued' && other.state !== 'running') continue;
      for (const [mine, theirs] of ACTIVE_JOB_CLASHES) {
        const minePath = paths[mine];
        const theirPath = other.paths[theirs];
        if (!isInside(minePath, theirPath) && !isInside(theirPath, minePath)) continue;
        throw new ServingError(
          'FAILED_PRECONDITION',
          `parameter "${mine}" (${this.root.relative(minePath)}) overlaps the ${theirs} of job ${other.id} (${this.root.relative(theirPath)}), which is ${other.state}; submit it again once that job has finished, or choose another path`,
        );
      }
    }
  }

  /** A job that ran to its end yet has failed rows is failed, as `millrace predict` exits 1 for it. */
  private rowsFailed(job: Job): ServingError | undefined {
    const failed = job.done.failed + job.committedFailed;
    if (failed === 0) return undefined;
    const earlier = job.committedFailed > 0 ? ` (${job.committedFailed} in shards an earlier job committed)` : '';
    const counted = job.committedFailed > 0 ? `${failed} rows failed${earlier}` : `${failed} of ${job.done.rows} rows failed`;
    return new ServingError('INVALID_ARGUMENT', `${counted}; see prediction.errors-* under ${this.root.relative(job.paths.output)} for each row's error`);
  }

  private finish(job: Job, error?: ServingError): void {
    job.state = error === undefined ? 'succeeded' : 'failed';
    job.finishedAt = new Date();
    delete job.waitingFor;
    // Messages from below name files by absolute path; callers know paths relative to the job root only.
    if (error !== undefined) job.error = new ServingError(error.code, this.root.relativeInText(error.message));
    this.options.logger.log(error === undefined ? 'info' : 'warn', 'job_finished', {
      id: job.id,
      state: job.state,
      rows: job.done.rows,
      failed: job.done.failed,
      ...(job.error === undefined ? {} : { error: `${job.error.code}: ${job.error.message}` }),
    });
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state === 'succeeded' || j.state === 'failed');
    for (const job of finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED_JOBS))) this.jobs.delete(job.id);
  }
}

/** The request's shaping parameters, checked as `millrace predict` checks its flags (INVALID_ARGUMENT naming the parameter). */
function shapingOf(request: JobRequest): ShapingOptions {
  const refuse = (message: string): ServingError => new ServingError('INVALID_ARGUMENT', message);
  const { keyField, includedFields, excludedFields, instanceType, format } = request;
  if (includedFields !== undefined && excludedFields !== undefined) throw refuse('set parameter "included_fields" or "excluded_fields", not both');
  if (keyField !== undefined && includedFields?.includes(keyField)) throw refuse(`parameter "key_field" ${keyField} is passed through, so it cannot be one of "included_fields"`);
  if (instanceType !== undefined && instanceType !== 'object' && instanceType !== 'array') throw refuse(`parameter "instance_type" must be object or array, got "${instanceType}"`);
  if (format !== undefined) {
    try {
      parseInputFormat(format);
    } catch (err) {
      throw refuse(`parameter "format": ${(err as Error).message}`);
    }
  }
  return { keyField, includedFields, excludedFields, instanceType: instanceType as InstanceType | undefined };
}

function statusOf(job: Job): JobStatus {
  const current = job.current ?? { rows: 0, succeeded: 0, failed: 0 };
  return {
    id: job.id,
    state: job.state,
    model: job.request.model,
    input: job.request.input,
    output: job.request.output,
    submitted_at: job.submittedAt.toISOString(),
    ...(job.startedAt === undefined ? {} : { started_at: job.startedAt.toISOString() }),
    ...(job.finishedAt === undefined ? {} : { finished_at: job.finishedAt.toISOString() }),
    ...(job.waitingFor === undefined ? {} : { waiting_for: job.waitingFor }),
    memory_estimate_bytes: job.estimate,
    progress: {
      rows_read: job.done.rows + current.rows,
      rows_predicted: job.done.succeeded + current.succeeded,
      rows_failed: job.done.failed + current.failed,
      files_done: job.filesDone,
      files_total: job.filesTotal,
    },
    outputs: [...job.outputs],
    ...(job.error === undefined ? {} : { error: { code: job.error.code, message: job.error.message } }),
  };
}
