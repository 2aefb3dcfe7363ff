/**
 * A batch prediction job over files or a table: plan the work, take this process's output shards, skip the ones a
 * previous run committed, and for each remaining shard read its units, shape each record into an instance,
 * run full batches through the model (reading the next batch while the model works on this one), and write
 * every row to the shard's results or errors (files, or table rows) in input order before committing the shard.
 */
import { ServingError } from '../errors/serving-error.js';
import type { Signature } from '../runtime/signature.js';
import { predictInstances, type PredictionTarget, type RowOutcome } from './batch-predict.js';
import { checkInstance, signatureCellDtypes } from './instance-check.js';
import { instanceJson } from './instance-json.js';
import type { InputRecord, WorkUnit } from './input-record.js';
import { positionKind } from './input-record.js';
import { InstanceShaper, type ShapedInstance, type ShapingOptions } from './instance-shaper.js';
import type { JobManifest } from './job-manifest.js';
import { openJobInput, openJobOutput } from './job-io.js';
import type { ErrorRow, JobOutput, ShardSink } from './job-output.js';
import type { JobProgress, ProgressListener } from './progress-reporter.js';
import { UnitReader } from './unit-reader.js';
import { ownedShards, type OutputShard, type PlanOptions, type WorkPlan } from './work-plan.js';

export type JobRun =
  | { readonly mode: 'predict'; readonly target: PredictionTarget }
  /** Writes shaped instances only; with a signature, CSV cells are typed and instances checked against it. */
  | { readonly mode: 'export'; readonly signature?: Signature | undefined };

export interface BatchJobOptions {
  readonly plan: Omit<PlanOptions, 'exclude'>;
  /** A directory, or a table URL (see tables/table-url.ts). */
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
  readonly elapsedMs: number;
}

/** One row on its way to the output: an instance to run, or an error already known. */
interface RowItem {
  readonly unit: WorkUnit;
  readonly position: number;
  readonly shaped?: ShapedInstance;
  /** The record as read, for the error line of a row that never reached the model. */
  readonly raw?: unknown;
  readonly key?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export async function runBatchJob(options: BatchJobOptions): Promise<BatchJobSummary> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new ServingError('INVALID_ARGUMENT', `batch size must be a positive integer, got ${options.batchSize}`);
  if (!(options.shardCount >= 1 && options.shardIndex >= 0 && options.shardIndex < options.shardCount)) {
    throw new ServingError('INVALID_ARGUMENT', `shard index ${options.shardIndex} is not within shard count ${options.shardCount}`);
  }
  const output = await openJobOutput({ output: options.output, mode: options.run.mode, hasKey: options.shaping.keyField !== undefined, model: options.model });
  try {
    const input = await openJobInput({ plan: options.plan, keyField: options.shaping.keyField, shardCount: options.shardCount, exclude: output.directory });
    try {
      const { plan } = input;
      const owned = ownedShards(plan, options.shardIndex, options.shardCount);
      const todo = await output.claim(manifestOf(options, plan), owned);
      const reader = new UnitReader(input.tables);
      return await new JobExecution(options, output, reader, todo, owned.length - todo.length, plan.shards.length, owned.length).run();
    } finally {
      await input.tables?.close();
    }
  } finally {
    await output.close();
  }
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
  };
}

class JobExecution {
  private readonly started = performance.now();
  private readonly shaper: InstanceShaper;
  private readonly signature: Signature | undefined;
  private readonly expectedRows: number;
  private rows = 0;
  private succeeded = 0;
  private failed = 0;
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
    const run = options.run;
    this.signature = run.mode === 'predict' ? run.target.signature : run.signature;
    this.shaper = new InstanceShaper(options.shaping, this.signature === undefined ? undefined : signatureCellDtypes(this.signature));
    this.expectedRows = todo.reduce((n, s) => n + s.size, 0);
  }

  async run(): Promise<BatchJobSummary> {
    for (const shard of this.todo) {
      await this.runShard(shard);
      this.shardsDone++;
      this.options.progress?.update(this.progress());
    }
    this.options.progress?.finish(this.progress());
    return {
      rows: this.rows,
      succeeded: this.succeeded,
      failed: this.failed,
      shardsTotal: this.total,
      shardsOwned: this.owned,
      shardsWritten: this.todo.length,
      shardsSkipped: this.skipped,
      elapsedMs: performance.now() - this.started,
    };
  }

  private progress(): JobProgress {
    return {
      rows: this.rows,
      succeeded: this.succeeded,
      failed: this.failed,
      expectedRows: this.expectedRows,
      shardsDone: this.shardsDone,
      shardsToDo: this.todo.length,
      elapsedMs: performance.now() - this.started,
    };
  }

  private async runShard(shard: OutputShard): Promise<void> {
    const out = await this.output.openShard(shard);
    const limit = Math.max(1, this.options.batchesInFlight ?? 1);
    // Batches whose rows are not written yet, oldest first; each waits for the one before it to be written.
    const window: Array<Promise<void>> = [];
    let written: Promise<void> = Promise.resolve();
    let failure: { readonly error: unknown } | undefined;
    let items: RowItem[] = [];
    let instances = 0;
    const send = async (batch: readonly RowItem[]): Promise<void> => {
      while (window.length >= limit) await window.shift();
      if (failure !== undefined) throw failure.error;
      const texts = batch.map((i) => (i.shaped === undefined ? '' : instanceJson(i.shaped.instance)));
      const outcomes = this.predictBatch(texts.filter((_, n) => batch[n]!.shaped !== undefined));
      outcomes.catch(() => undefined);
      written = written.then(async () => this.writeBatch(batch, texts, await outcomes, out));
      // Window entries never reject (so none goes unhandled); the first failure is rethrown from here.
      window.push(written.then(undefined, (error: unknown) => void (failure ??= { error })));
    };
    try {
      for (const unit of shard.units) {
        for await (const record of this.reader.read(unit)) {
          if (this.options.signal?.aborted === true) throw new ServingError('CANCELLED', 'the job was cancelled');
          const item = this.toItem(record, unit);
          items.push(item);
          if (item.shaped !== undefined) instances++;
          // Rows that already failed ride along with the batch, so both files keep input order.
          if (instances >= this.options.batchSize || items.length >= 4 * this.options.batchSize) {
            await send(items);
            items = [];
            instances = 0;
          }
        }
      }
      if (items.length > 0) await send(items);
      await written;
      await out.commit();
    } catch (err) {
      await written.catch(() => undefined);
      await out.discard();
      throw err;
    }
  }

  private toItem(record: InputRecord, unit: WorkUnit): RowItem {
    this.rows++;
    const position = record.position;
    if (record.kind === 'unreadable') return { unit, position, error: { code: 'INVALID_ARGUMENT', message: record.message } };
    const result = this.shaper.shape(record);
    if ('error' in result) return { unit, position, raw: rawValue(record), key: result.key, error: { code: 'INVALID_ARGUMENT', message: result.error } };
    const problem = this.signature === undefined ? undefined : checkInstance(result.shaped.instance, this.signature);
    if (problem !== undefined) return { unit, position, raw: rawValue(record), key: result.shaped.key, error: { code: 'INVALID_ARGUMENT', message: problem } };
    return { unit, position, shaped: result.shaped };
  }

  /** Runs the batch's instances (predict mode; nothing in export mode). */
  private async predictBatch(instances: readonly string[]): Promise<RowOutcome[]> {
    const run = this.options.run;
    return run.mode === 'predict' ? predictInstances(run.target, instances) : [];
  }

  /** Writes every row of the batch, in order. */
  private async writeBatch(items: readonly RowItem[], texts: readonly string[], outcomes: readonly RowOutcome[], out: ShardSink): Promise<void> {
    const run = this.options.run;
    let next = 0;
    for (let n = 0; n < items.length; n++) {
      const item = items[n]!;
      if (item.shaped === undefined) {
        await out.writeError(errorRow(item, item.error!));
        this.failed++;
        continue;
      }
      const outcome = run.mode === 'predict' ? outcomes[next++]! : undefined;
      if (outcome !== undefined && 'error' in outcome) {
        await out.writeError(errorRow({ ...item, raw: item.shaped.instance, key: item.shaped.key }, { code: outcome.error.code, message: outcome.error.message }));
        this.failed++;
        continue;
      }
      const shaped = item.shaped;
      await out.writeResult({
        ...('key' in shaped ? { key: { value: shaped.key } } : {}),
        instance: texts[n]!,
        excluded: shaped.excluded,
        prediction: outcome?.prediction,
      });
      this.succeeded++;
    }
    this.options.progress?.update(this.progress());
  }
}

function errorRow(item: RowItem, error: { readonly code: string; readonly message: string }): ErrorRow {
  return { key: item.key, instance: item.raw, error, input: item.unit.file, positionKind: positionKind(item.unit), position: item.position };
}

/** The record as read: its fields as an object, or the bare value. */
function rawValue(record: Exclude<InputRecord, { kind: 'unreadable' }>): unknown {
  if (record.kind === 'value') return record.value;
  const object: Record<string, unknown> = {};
  record.names.forEach((name, i) => {
    object[name] = record.values[i];
  });
  return object;
}
