import type { ByteRange } from './byte-range.js';
import type { LineFormat } from './input-format.js';
import type { RowRange } from './parquet-rows.js';
import type { TfRecordPayload } from './tfrecord-payload.js';
import type { TfRecordCompression, TfRecordRange } from './tfrecord-records.js';

/**
 * One record of the input, before it is shaped into an instance: a row of named fields (CSV, Parquet, a JSON
 * object line), a bare JSON value (a JSON line holding an array or scalar), or a record that could not be read.
 * `position` is the 1-based line (text formats), row (Parquet, tables) or record (TFRecord) that errors name.
 */
export type InputRecord = FieldsRecord | ValueRecord | UnreadableRecord;

export interface FieldsRecord {
  readonly kind: 'fields';
  readonly position: number;
  readonly names: readonly string[];
  /** Parallel to `names`; undefined or null is a missing value. */
  readonly values: readonly unknown[];
  /** CSV only: the values are cell text still to be typed, and which cells were quoted. */
  readonly quoted?: readonly boolean[];
}

export interface ValueRecord {
  readonly kind: 'value';
  readonly position: number;
  readonly value: unknown;
}

export interface UnreadableRecord {
  readonly kind: 'unreadable';
  readonly position: number;
  readonly message: string;
}

/**
 * A piece of the input that is read on its own: a byte range of a text file, rows of a Parquet file, frames
 * of a TFRecord file, or a row range of a table in a stable order.
 */
export type WorkUnit = TextUnit | ParquetUnit | TfRecordUnit | TableUnit;

export interface TextUnit {
  readonly file: string;
  readonly format: LineFormat;
  readonly range: ByteRange;
  /** CSV: the file's header, which only the first unit holds. */
  readonly header?: readonly string[];
  /** Records in the unit (estimate: blank lines count), for progress. */
  readonly size: number;
}

export interface ParquetUnit {
  readonly file: string;
  readonly format: 'parquet';
  readonly rows: RowRange;
  readonly size: number;
}

export interface TfRecordUnit {
  readonly file: string;
  readonly format: 'tfrecord';
  readonly compression: TfRecordCompression;
  /** Whole frames; a gzip file is always one unit. */
  readonly range: TfRecordRange;
  readonly payload: TfRecordPayload;
  /** Longer records become error rows instead of being held in memory. */
  readonly maxRecordBytes: number;
  readonly size: number;
}

export interface TableUnit {
  /** The table URL, password masked (what error rows name as their input). */
  readonly file: string;
  readonly format: 'table';
  /** Positions in the stable order; the reader numbers rows from rowStart + 1. */
  readonly rows: RowRange;
  /** The SELECT that yields exactly these rows. */
  readonly sql: string;
  readonly size: number;
}

export type PositionKind = 'line' | 'row' | 'record';

/** Whether positions in this unit are lines, rows or records (the errors file's key). */
export function positionKind(unit: WorkUnit): PositionKind {
  if (unit.format === 'tfrecord') return 'record';
  return unit.format === 'parquet' || unit.format === 'table' ? 'row' : 'line';
}
