/**
 * Runs one output shard of a batch job: reads its units, shapes each record into an instance, runs full batches
 * through the model (reading the next batch while the model works on this one), and writes every row to the
 * shard's results or errors in input order before committing the shard. The same runner works in the job's own
 * thread and in each worker thread (see job-workers.ts), over its own model session.
 */
import { ServingError } from '../errors/serving-error.js';
import type { Signature } from '../runtime/signature.js';
import type { RowAnomaly } from '../validation/row-schema-check.js';
import { predictInstances, type PredictionTarget, type RowOutcome } from './batch-predict.js';
import { checkInstance, signatureCellDtypes } from './instance-check.js';
import { instanceJson } from './instance-json.js';
import type { InputRecord, WorkUnit } from '../readers/input-record.js';
import { positionKind } from '../readers/input-record.js';
import { describe, InstanceShaper, type ShapedInstance, type ShapingOptions } from './instance-shaper.js';
import type { ErrorRow, JobOutput, ShardSink } from './job-output.js';
import { relativePathsIn } from './job-paths.js';
import type { UnitReader } from './unit-reader.js';
import { anomaliesMessage, rowAnomalies, type RowValidation } from './row-validation.js';
import type { OutputShard } from './work-plan.js';

export type JobRun =
  | { readonly mode: 'predict'; readonly target: PredictionTarget }
  /** Writes shaped instances only; with a signature, CSV cells are typed and instances checked against it. */
  | { readonly mode: 'export'; readonly signature?: Signature | undefined };

export interface ShardRunOptions {
  readonly shaping: ShapingOptions;
  readonly run: JobRun;
  /** Instances per model call. */
  readonly batchSize: number;
  /** Batches sent to the model before the oldest one is answered (default 1); rows are still written in input order. */
  readonly batchesInFlight?: number | undefined;
  /** Set to stop: the shard fails with CANCELLED at the next record and leaves nothing behind. */
  readonly signal?: { readonly aborted: boolean } | undefined;
  /** `--validate_with`: rows checked against a schema, flagged or refused (see row-validation.ts). */
  readonly validation?: RowValidation | undefined;
  /** Error rows name their input, and paths in their messages, relative to this directory (the job service's root). */
  readonly pathsRelativeTo?: string | undefined;
}

/** Rows so far; the runner adds to it as it reads and writes. */
export interface RowCounts {
  rows: number;
  succeeded: number;
  failed: number;
}

/** One row on its way to the output: an instance to run, or an error already known. */
interface RowItem {
  readonly unit: WorkUnit;
  readonly position: number;
  readonly shaped?: ShapedInstance;
  /** A failed row's instance, shaped as a result row's would be. */
  readonly instance?: unknown;
  /** The record as read, for the error line of a row that could not be shaped into an instance. */
  readonly rawRecord?: unknown;
  readonly key?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  /** How the row breaks the --validate_with schema. */
  readonly anomalies?: readonly RowAnomaly[];
}

export class ShardRunner {
  private readonly shaper: InstanceShaper;
  private readonly signature: Signature | undefined;
  /** Failed rows of the shard being written (a runner writes one shard at a time). */
  private shardFailed = 0;
  /** Export mode: the key field written back into each instance. */
  private readonly exportKeyField: string | undefined;

  /** `onBatchWritten`: after each batch's rows are written (for progress). */
  constructor(
    private readonly options: ShardRunOptions,
    private readonly output: JobOutput,
    private readonly reader: UnitReader,
    private readonly counts: RowCounts,
    private readonly onBatchWritten: () => void = () => undefined,
  ) {
    const run = options.run;
    this.signature = run.mode === 'predict' ? run.target.signature : run.signature;
    this.exportKeyField = run.mode === 'export' ? options.shaping.keyField : undefined;
    this.shaper = new InstanceShaper(options.shaping, this.signature === undefined ? undefined : signatureCellDtypes(this.signature), options.validation !== undefined);
  }

  async runShard(shard: OutputShard): Promise<void> {
    const out = await this.output.openShard(shard);
    this.shardFailed = 0;
    const { batchSize } = this.options;
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
      const texts: string[] = [];
      const values: unknown[] = [];
      for (let n = 0; n < batch.length; n++) {
        const item = batch[n]!;
        if (item.shaped === undefined) continue;
        texts.push(instanceJson(item.shaped.instance));
        values.push(item.shaped.instance);
      }
      const outcomes = this.predictBatch(texts, values);
      outcomes.catch(() => undefined);
      written = written.then(async () => this.writeBatch(batch, texts, await outcomes, out));
      // Window entries never reject (so none goes unhandled); the first failure is rethrown from here.
      window.push(written.then(undefined, (error: unknown) => void (failure ??= { error })));
    };
    try {
      for (const unit of shard.units) {
        for await (const records of this.reader.readChunks(unit)) {
          for (let r = 0; r < records.length; r++) {
            const record = records[r]!;
            if (this.options.signal?.aborted === true) throw new ServingError('CANCELLED', 'the job was cancelled');
            const item = this.toItem(record, unit);
            items.push(item);
            if (item.shaped !== undefined) instances++;
            // Rows that already failed ride along with the batch, so both files keep input order.
            if (instances >= batchSize || items.length >= 4 * batchSize) {
              await send(items);
              items = [];
              instances = 0;
            }
          }
        }
      }
      if (items.length > 0) await send(items);
      await written;
      await out.commit(this.shardFailed);
    } catch (err) {
      await written.catch(() => undefined);
      await out.discard();
      throw err;
    }
  }

  private toItem(record: InputRecord, unit: WorkUnit): RowItem {
    this.counts.rows++;
    const position = record.position;
    if (record.kind === 'unreadable') return { unit, position, error: { code: 'INVALID_ARGUMENT', message: record.message } };
    const result = this.shaper.shape(record);
    if ('error' in result) return { unit, position, rawRecord: rawValue(record), key: result.key, error: { code: 'INVALID_ARGUMENT', message: result.error } };
    let { shaped } = result;
    let anomalies: RowAnomaly[] | undefined;
    const validation = this.options.validation;
    if (validation !== undefined) {
      const fields = namedFields(shaped);
      if (fields === undefined) {
        const message = `--validate_with checks a row's named fields, but this record is ${describe(shaped.instance)}`;
        return { unit, position, instance: shaped.instance, key: shaped.key, error: { code: 'INVALID_ARGUMENT', message } };
      }
      anomalies = rowAnomalies(fields, validation);
      if (anomalies.length === 0) anomalies = undefined;
      else if (validation.mode === 'refuse') {
        return { unit, position, instance: shaped.instance, key: shaped.key, error: { code: 'INVALID_ARGUMENT', message: anomaliesMessage(anomalies) }, anomalies };
      }
    }
    const problem = this.signature === undefined ? undefined : checkInstance(shaped.instance, this.signature);
    if (problem !== undefined) {
      return { unit, position, instance: shaped.instance, key: shaped.key, error: { code: 'INVALID_ARGUMENT', message: problem }, ...(anomalies === undefined ? {} : { anomalies }) };
    }
    if (this.exportKeyField !== undefined) shaped = withKeyInside(shaped, this.exportKeyField);
    return anomalies === undefined ? { unit, position, shaped } : { unit, position, shaped, anomalies };
  }

  /** A failed row's line: its key, then its shaped instance or (when shaping failed) the record as read. */
  private errorRow(item: RowItem, error: { readonly code: string; readonly message: string }): ErrorRow {
    const base = this.options.pathsRelativeTo;
    return {
      key: item.key,
      instance: item.instance,
      rawRecord: item.rawRecord,
      error: base === undefined ? error : { code: error.code, message: relativePathsIn(error.message, base) },
      input: base === undefined ? item.unit.file : relativePathsIn(item.unit.file, base),
      positionKind: positionKind(item.unit),
      position: item.position,
      anomalies: item.anomalies,
    };
  }

  /** Runs the batch's instances (predict mode; nothing in export mode). */
  private async predictBatch(texts: readonly string[], values: readonly unknown[]): Promise<RowOutcome[]> {
    const run = this.options.run;
    return run.mode === 'predict' ? predictInstances(run.target, texts, values) : [];
  }

  /** Writes every row of the batch, in order; `texts` and `outcomes` hold one entry per instance. */
  private async writeBatch(items: readonly RowItem[], texts: readonly string[], outcomes: readonly RowOutcome[], out: ShardSink): Promise<void> {
    const predicting = this.options.run.mode === 'predict';
    const counts = this.counts;
    let next = 0;
    for (let n = 0; n < items.length; n++) {
      const item = items[n]!;
      let wait: Promise<void> | undefined;
      if (item.shaped === undefined) {
        wait = out.writeError(this.errorRow(item, item.error!));
        counts.failed++;
        this.shardFailed++;
      } else {
        const shaped = item.shaped;
        const instance = texts[next]!;
        const outcome = predicting ? outcomes[next]! : undefined;
        next++;
        if (outcome !== undefined && 'error' in outcome) {
          wait = out.writeError(this.errorRow({ ...item, instance: shaped.instance, key: shaped.key }, { code: outcome.error.code, message: outcome.error.message }));
          counts.failed++;
          this.shardFailed++;
        } else {
          const prediction = outcome?.prediction;
          const { anomalies } = item;
          wait = out.writeResult(
            'key' in shaped ? { key: { value: shaped.key }, instance, excluded: shaped.excluded, prediction, anomalies } : { instance, excluded: shaped.excluded, prediction, anomalies },
          );
          counts.succeeded++;
        }
      }
      // Sinks hand out a promise only when a buffer is being written, so most rows cost no await.
      if (wait !== undefined) await wait;
    }
    this.onBatchWritten();
  }
}

/**
 * Export mode with --key_field: the key goes back inside each exported instance (first), for a managed batch
 * prediction job whose instanceConfig.keyField takes it out again before the model sees the instance.
 */
function withKeyInside(shaped: ShapedInstance, keyField: string): ShapedInstance {
  return { ...shaped, instance: { [keyField]: shaped.key, ...(shaped.instance as Record<string, unknown>) } };
}

/** The row's values by field name, as they went into the instance; undefined for a record without names. */
function namedFields(shaped: ShapedInstance): Readonly<Record<string, unknown>> | undefined {
  if (shaped.named !== undefined) return shaped.named;
  const instance = shaped.instance;
  const plain = typeof instance === 'object' && instance !== null && !Array.isArray(instance) && !(instance instanceof Uint8Array);
  return plain ? (instance as Record<string, unknown>) : undefined;
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
