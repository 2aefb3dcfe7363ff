/**
 * Where a batch job's rows go: a directory of shard files or a database table. Either way a shard is written
 * whole or not at all, and a rerun skips the shards a previous run committed.
 */
import type { RowAnomaly } from '../validation/row-schema-check.js';
import type { PositionKind } from '../readers/input-record.js';
import type { JobManifest } from './job-manifest.js';
import type { OutputShard } from './work-plan.js';

/** A row that reached an instance (and, in predict mode, a prediction). */
export interface ResultRow {
  /** Present when --key_field is set (the value may itself be undefined: a record without the key). */
  readonly key?: { readonly value: unknown };
  /** The instance's JSON text. */
  readonly instance: string;
  readonly excluded?: Readonly<Record<string, unknown>> | undefined;
  /** The prediction's JSON text; absent in export mode. */
  readonly prediction?: string | undefined;
  /** How the row breaks the --validate_with schema (flag mode). */
  readonly anomalies?: readonly RowAnomaly[] | undefined;
}

export interface ErrorRow {
  readonly key?: unknown;
  /** The row's instance, shaped (key taken out, fields picked, CSV cells typed) as its result row's would be. */
  readonly instance?: unknown;
  /** Instead of `instance` when the record could not be shaped into one: the record as read. */
  readonly rawRecord?: unknown;
  readonly error: { readonly code: string; readonly message: string };
  readonly input: string;
  readonly positionKind: PositionKind;
  /** 1-based line, row or record of the input. */
  readonly position: number;
  /** How the row breaks the --validate_with schema. */
  readonly anomalies?: readonly RowAnomaly[] | undefined;
}

/** Rows are written in order; a sink returns a promise only when the caller must wait (a buffer is being written). */
export interface ShardSink {
  writeResult(row: ResultRow): Promise<void> | undefined;
  writeError(row: ErrorRow): Promise<void> | undefined;
  /** Makes the shard's rows visible, all at once, and marks the shard done; `failedRows`: its rows that failed. */
  commit(failedRows: number): Promise<void>;
  /** Drops whatever the shard wrote. */
  discard(): Promise<void>;
}

export interface ClaimedShards {
  readonly todo: OutputShard[];
  /** Failed rows (error rows) of the owned shards already committed. */
  readonly committedFailedRows: number;
}

export interface JobOutput {
  /** A directory output: its files are never input. */
  readonly directory?: string | undefined;
  /**
   * Records the job (or checks it against the one there) and returns the owned shards still to write, and how
   * many rows failed in the owned shards a previous run committed (so a rerun still reports them).
   */
  claim(manifest: JobManifest, owned: readonly OutputShard[]): Promise<ClaimedShards>;
  openShard(shard: OutputShard): Promise<ShardSink>;
  close(): Promise<void>;
}
