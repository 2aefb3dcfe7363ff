/**
 * Parquet through hyparquet (pure JS; snappy, gzip, brotli, zstd and lz4 through hyparquet-compressors), read
 * one row range at a time (a work unit is a row group), so memory stays bounded by the largest row group.
 * INT64 columns come back as BigInt, binary as Uint8Array, lists as arrays; timestamps as Date from readParquetRows
 * and as ISO-8601 text from readParquetColumns (what batch jobs read).
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ServingError } from '../errors/serving-error.js';
import { isoDate, isoTimestamp } from './iso-dates.js';

export interface ParquetFile {
  readonly file: string;
  readonly buffer: AsyncBuffer;
  readonly metadata: FileMetaData;
}

export interface ParquetColumn {
  readonly name: string;
  /** FLOAT, DOUBLE or DECIMAL: a column whose values are floating point even when integral. */
  readonly isFloat: boolean;
}

export interface RowRange {
  /** 0-based, inclusive. */
  readonly rowStart: number;
  /** 0-based, exclusive. */
  readonly rowEnd: number;
}

export async function openParquetFile(file: string): Promise<ParquetFile> {
  const buffer = await asyncBufferFromFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new ServingError('NOT_FOUND', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  const metadata = await parquetMetadataAsync(buffer).catch((err: unknown) => {
    throw new ServingError('INVALID_ARGUMENT', `${file}: not a Parquet file: ${(err as Error).message}`);
  });
  return { file, buffer, metadata };
}

/** The top-level columns, in schema order. */
export function parquetColumns(parquet: ParquetFile): ParquetColumn[] {
  return parquetSchema(parquet.metadata).children.map((child) => {
    let leaf = child;
    while (leaf.children.length === 1) leaf = leaf.children[0] as typeof leaf;
    const { type, converted_type: converted } = leaf.element;
    return { name: child.element.name, isFloat: type === 'FLOAT' || type === 'DOUBLE' || converted === 'DECIMAL' };
  });
}

/** The row range of each row group, in file order. */
export function parquetRowGroups(parquet: ParquetFile): RowRange[] {
  const groups: RowRange[] = [];
  let rowStart = 0;
  for (const group of parquet.metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    groups.push({ rowStart, rowEnd });
    rowStart = rowEnd;
  }
  return groups;
}

/** Rows [rowStart, rowEnd) as objects keyed by column name. */
export async function readParquetRows(parquet: ParquetFile, range: RowRange): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = [];
  try {
    await parquetRead({
      file: parquet.buffer,
      metadata: parquet.metadata,
      rowStart: range.rowStart,
      rowEnd: range.rowEnd,
      compressors,
      rowFormat: 'object',
      onComplete: (objects) => {
        rows = objects;
      },
    });
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${parquet.file}: rows ${range.rowStart + 1}-${range.rowEnd}: ${(err as Error).message}`);
  }
  return rows;
}

/** One column's values over a row range: row r is `data[r - start]`. */
export interface ColumnValues {
  readonly data: ArrayLike<unknown>;
  readonly start: number;
}

/**
 * Dates and timestamps as ISO-8601 text (see iso-dates.ts): a TIMESTAMP with the digits of its unit (3 for
 * milliseconds, 6 for microseconds, 9 for nanoseconds). hyparquet's default, a Date, would drop the microseconds.
 */
export const ISO_DATE_PARSERS = {
  dateFromDays: isoDate,
  timestampFromMilliseconds: (millis: bigint | number): string => isoTimestamp(BigInt(millis), 1_000n, 3),
  timestampFromMicroseconds: (micros: bigint | number): string => isoTimestamp(BigInt(micros), 1_000_000n, 6),
  timestampFromNanoseconds: (nanos: bigint | number): string => isoTimestamp(BigInt(nanos), 1_000_000_000n, 9),
};

/**
 * The values of `columns` (in that order) over rows [rowStart, rowEnd), column by column: a row range is held
 * as a few arrays rather than an array per row, which keeps memory low and short-lived. Dates and timestamps come
 * as ISO-8601 text (see ISO_DATE_PARSERS).
 */
export async function readParquetColumns(parquet: ParquetFile, range: RowRange, columns: readonly string[]): Promise<ColumnValues[]> {
  const chunks = new Map<string, Array<{ data: ArrayLike<unknown>; rowStart: number }>>(columns.map((c) => [c, []]));
  try {
    await parquetRead({
      file: parquet.buffer,
      metadata: parquet.metadata,
      rowStart: range.rowStart,
      rowEnd: range.rowEnd,
      columns: [...columns],
      compressors,
      parsers: ISO_DATE_PARSERS,
      onChunk: ({ columnName, columnData, rowStart }) => {
        chunks.get(columnName)?.push({ data: columnData as ArrayLike<unknown>, rowStart });
      },
    });
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${parquet.file}: rows ${range.rowStart + 1}-${range.rowEnd}: ${(err as Error).message}`);
  }
  return columns.map((name) => joinChunks(chunks.get(name)!, range, `${parquet.file}: column ${name}`));
}

/** Chunks (pages) of one column as one array covering the range; a single chunk is used as it is. */
function joinChunks(chunks: Array<{ data: ArrayLike<unknown>; rowStart: number }>, range: RowRange, what: string): ColumnValues {
  chunks.sort((a, b) => a.rowStart - b.rowStart);
  const covers = (c: { data: ArrayLike<unknown>; rowStart: number }): boolean => c.rowStart <= range.rowStart && c.rowStart + c.data.length >= range.rowEnd;
  if (chunks.length === 1 && covers(chunks[0]!)) return { data: chunks[0]!.data, start: chunks[0]!.rowStart };
  const data = new Array<unknown>(range.rowEnd - range.rowStart);
  let filled = 0;
  for (const chunk of chunks) {
    const from = Math.max(range.rowStart, chunk.rowStart);
    const to = Math.min(range.rowEnd, chunk.rowStart + chunk.data.length);
    for (let r = from; r < to; r++) data[r - range.rowStart] = chunk.data[r - chunk.rowStart];
    filled += Math.max(0, to - from);
  }
  if (filled !== data.length) throw new ServingError('INVALID_ARGUMENT', `${what}: the pages read hold ${filled} of rows ${range.rowStart + 1}-${range.rowEnd}`);
  return { data, start: range.rowStart };
}
