/**
 * A batch of rows held column by column, for sources whose columns have one fixed type and one value per row
 * (Parquet scalar columns). Statistics over a batch are the same as over its rows one by one, without an
 * object per row or per value. The buffers belong to the reader and are reused for the next batch: a batch
 * is read completely before the next one is asked for.
 */

/** Bit r of byte r >> 3 is set when row r has a value; null when every row has one. */
export type Validity = Uint8Array | null;

export interface NumberColumn {
  readonly kind: 'number';
  readonly name: string;
  /** INT (integers, booleans as 0/1, timestamps as epoch ms) or FLOAT (floating point and decimal columns). */
  readonly valueKind: 'int' | 'float';
  /** One value per row; rows without a value hold anything. */
  readonly values: Float64Array;
  readonly validity: Validity;
}

/** Distinct strings of a string column, each with what the statistics need of it, computed once. */
export interface StringDictionary {
  readonly strings: readonly string[];
  /** UTF-8 byte length of each string. */
  readonly byteLengths: readonly number[];
  /** hash53 of each string (the distinct-count sketch's hash). */
  readonly hashes: readonly number[];
}

export interface StringColumn {
  readonly kind: 'string';
  readonly name: string;
  /** Per row, the index of its string in `dictionary`; rows without a value hold anything. */
  readonly ids: Int32Array;
  readonly dictionary: StringDictionary;
  readonly validity: Validity;
}

export type BatchColumn = NumberColumn | StringColumn;

export interface ColumnBatch {
  readonly rowCount: number;
  readonly columns: readonly BatchColumn[];
}

export function isPresent(validity: Validity, row: number): boolean {
  return validity === null || (validity[row >> 3]! & (1 << (row & 7))) !== 0;
}

/** Rows of `rows` (or of 0 … count − 1 when null) that have a value. */
export function countPresent(validity: Validity, rows: Int32Array | null, count: number): number {
  if (validity === null) return count;
  let present = 0;
  for (let j = 0; j < count; j++) {
    const row = rows === null ? j : rows[j]!;
    if ((validity[row >> 3]! & (1 << (row & 7))) !== 0) present++;
  }
  return present;
}
