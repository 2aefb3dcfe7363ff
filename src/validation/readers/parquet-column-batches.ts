/**
 * Parquet read by DuckDB's native reader (decompression and decoding on its own threads) into column batches:
 * each DuckDB result chunk's vectors are copied once into typed arrays, with no object per row or value. Values
 * map as in the row reader (parquet-examples.ts): integers, booleans (0/1), dates and timestamps (epoch ms) are
 * INT; FLOAT, DOUBLE and DECIMAL are FLOAT; strings and binary (as UTF-8) are strings. A file with a column of
 * any other type (lists, structs, maps, UUID, TIME, INTERVAL, 128-bit integers, JSON) is left to the row
 * reader: `batches` then returns undefined. Only the low-level binding is loaded (the high-level client takes
 * a few hundred milliseconds to load, longer than reading a small file).
 */
import { stat } from 'node:fs/promises';
import duckdb from '@duckdb/node-bindings';
import { ServingError } from '../../errors/serving-error.js';
import type { RowRange } from '../../readers/parquet-rows.js';
import type { BatchColumn, ColumnBatch, NumberColumn, StringColumn } from '../column-batch.js';
import { DuckDbStringDictionary } from './duckdb-string-dictionary.js';
import { releaseNativeChunks } from './native-chunk-release.js';

/** DuckDB's vector size: rows per result chunk. */
const CHUNK_ROWS = 2048;

type NumberDecoder = (data: Uint8Array, rowCount: number, into: Float64Array) => void;

interface NumberColumnReader {
  readonly column: NumberColumn & { validity: Uint8Array | null; values: Float64Array };
  readonly validityBuffer: Uint8Array;
  readonly decode: NumberDecoder;
  readonly byteWidth: number;
}

interface StringColumnReader {
  readonly column: StringColumn & { validity: Uint8Array | null };
  readonly validityBuffer: Uint8Array;
  readonly dictionary: DuckDbStringDictionary;
}

type ColumnReader = NumberColumnReader | StringColumnReader;

/** One in-memory DuckDB database that reads Parquet files for statistics. */
export class ParquetColumnSource {
  private constructor(
    private readonly database: duckdb.Database,
    private readonly connection: duckdb.Connection,
  ) {}

  /** `threads`: DuckDB's threads; 0 leaves its default (one per core). */
  static async open(threads = 0): Promise<ParquetColumnSource> {
    const config = duckdb.create_config();
    if (threads > 0) duckdb.set_config(config, 'threads', String(threads));
    const database = await duckdb.open(':memory:', config);
    return new ParquetColumnSource(database, await duckdb.connect(database));
  }

  /** The number of rows of each row group of a file, in file order. */
  async rowGroupRows(file: string): Promise<number[]> {
    await mustExist(file);
    const prepared = await this.prepare(
      file,
      `SELECT CAST(max(row_group_num_rows) AS DOUBLE) FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY row_group_id`,
    );
    const result = await duckdb.execute_prepared(prepared).catch((err: unknown) => {
      throw notParquet(file, err);
    });
    const rows: number[] = [];
    for (;;) {
      const chunk = await duckdb.fetch_chunk(result);
      const size = chunk === null ? 0 : duckdb.data_chunk_get_size(chunk);
      if (chunk === null || size === 0) return rows;
      const values = new Float64Array(size);
      viewDecoder(Float64Array)(duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, 0), size * 8), size, values);
      rows.push(...values);
    }
  }

  /**
   * Column batches of a Parquet file (rows [rowStart, rowEnd) only, when given: DuckDB then skips the row
   * groups outside), or undefined when a column has a type only the row reader maps.
   */
  async batches(file: string, range?: RowRange): Promise<AsyncGenerator<ColumnBatch> | undefined> {
    await mustExist(file);
    const sql =
      range === undefined
        ? `SELECT * FROM read_parquet(${sqlString(file)})`
        : `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(file)}, file_row_number = true)
           WHERE file_row_number >= ${range.rowStart} AND file_row_number < ${range.rowEnd}`;
    const prepared = await this.prepare(file, sql);
    const readers: ColumnReader[] = [];
    for (let i = 0; i < duckdb.prepared_statement_column_count(prepared); i++) {
      const reader = columnReader(duckdb.prepared_statement_column_name(prepared, i), duckdb.prepared_statement_column_logical_type(prepared, i));
      if (reader === undefined) return undefined;
      readers.push(reader);
    }
    return readBatches(prepared, file, readers);
  }

  private async prepare(file: string, sql: string): Promise<duckdb.PreparedStatement> {
    try {
      return await duckdb.prepare(this.connection, sql);
    } catch (err) {
      throw notParquet(file, err);
    }
  }

  close(): void {
    duckdb.disconnect_sync(this.connection);
    duckdb.close_sync(this.database);
  }
}

async function mustExist(file: string): Promise<void> {
  await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new ServingError('NOT_FOUND', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
}

function notParquet(file: string, err: unknown): ServingError {
  return new ServingError('INVALID_ARGUMENT', `${file}: not a Parquet file DuckDB can read: ${(err as Error).message}`);
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function* readBatches(prepared: duckdb.PreparedStatement, file: string, readers: ColumnReader[]): AsyncGenerator<ColumnBatch> {
  const failed = (err: unknown) => new ServingError('INVALID_ARGUMENT', `${file}: ${(err as Error).message}`);
  const result = await duckdb.execute_prepared_streaming(prepared).catch((err: unknown) => {
    throw failed(err);
  });
  const columns: BatchColumn[] = readers.map((r) => r.column);
  let chunks = 0;
  for (;;) {
    const chunk = await duckdb.fetch_chunk(result).catch((err: unknown) => {
      throw failed(err);
    });
    const rowCount = chunk === null ? 0 : duckdb.data_chunk_get_size(chunk);
    if (chunk === null || rowCount === 0) return;
    copyChunk(chunk, rowCount, readers);
    if (++chunks % RELEASE_EVERY_CHUNKS === 0) releaseNativeChunks();
    yield { rowCount, columns };
  }
}

/** How often dead result chunks are collected (each holds about 16 bytes × columns × 2048 rows natively). */
const RELEASE_EVERY_CHUNKS = 16;

/** Copies every vector of a chunk into its column's buffers; the chunk is not used afterwards. */
function copyChunk(chunk: duckdb.DataChunk, rowCount: number, readers: readonly ColumnReader[]): void {
  readers.forEach((reader, i) => {
    const vector = duckdb.data_chunk_get_vector(chunk, i);
    const validity = copyValidity(vector, rowCount, reader.validityBuffer);
    reader.column.validity = validity;
    if ('decode' in reader) {
      reader.decode(duckdb.vector_get_data(vector, rowCount * reader.byteWidth), rowCount, reader.column.values);
    } else {
      reader.dictionary.startBatch();
      reader.dictionary.internVector(duckdb.vector_get_data(vector, rowCount * 16), rowCount, validity, reader.column.ids);
    }
  });
}

function copyValidity(vector: duckdb.Vector, rowCount: number, into: Uint8Array): Uint8Array | null {
  const words = Math.ceil(rowCount / 64);
  const mask = duckdb.vector_get_validity(vector, words * 8) as Uint8Array | null;
  if (mask === null || mask === undefined) return null;
  into.set(mask.subarray(0, words * 8));
  return into;
}

function columnReader(name: string, type: duckdb.LogicalType): ColumnReader | undefined {
  const validityBuffer = new Uint8Array(CHUNK_ROWS / 8);
  const typeId = duckdb.get_type_id(type);
  // An alias marks a type DuckDB builds on VARCHAR (JSON); the row reader maps those.
  if ((typeId === duckdb.Type.VARCHAR && duckdb.logical_type_get_alias(type) === null) || typeId === duckdb.Type.BLOB) {
    const dictionary = new DuckDbStringDictionary();
    return { column: { kind: 'string', name, ids: new Int32Array(CHUNK_ROWS), dictionary, validity: null }, validityBuffer, dictionary };
  }
  const number = numberDecoder(typeId, type);
  if (number === undefined) return undefined;
  return {
    column: { kind: 'number', name, valueKind: number.valueKind, values: new Float64Array(CHUNK_ROWS), validity: null },
    validityBuffer,
    decode: number.decode,
    byteWidth: number.byteWidth,
  };
}

interface NumberType {
  readonly valueKind: 'int' | 'float';
  readonly byteWidth: number;
  readonly decode: NumberDecoder;
}

const MS_PER_DAY = 86_400_000;

function numberDecoder(typeId: duckdb.Type, type: duckdb.LogicalType): NumberType | undefined {
  const int = (byteWidth: number, decode: NumberDecoder): NumberType => ({ valueKind: 'int', byteWidth, decode });
  switch (typeId) {
    case duckdb.Type.BOOLEAN:
    case duckdb.Type.UTINYINT:
      return int(1, viewDecoder(Uint8Array));
    case duckdb.Type.TINYINT:
      return int(1, viewDecoder(Int8Array));
    case duckdb.Type.SMALLINT:
      return int(2, viewDecoder(Int16Array));
    case duckdb.Type.USMALLINT:
      return int(2, viewDecoder(Uint16Array));
    case duckdb.Type.INTEGER:
      return int(4, viewDecoder(Int32Array));
    case duckdb.Type.UINTEGER:
      return int(4, viewDecoder(Uint32Array));
    case duckdb.Type.BIGINT:
      return int(8, int64Decoder(true, 1));
    case duckdb.Type.UBIGINT:
      return int(8, int64Decoder(false, 1));
    case duckdb.Type.DATE:
      return int(4, (data, rowCount, into) => {
        const days = view(Int32Array, data, rowCount);
        for (let i = 0; i < rowCount; i++) into[i] = days[i]! * MS_PER_DAY;
      });
    case duckdb.Type.TIMESTAMP_S:
      return int(8, int64Decoder(true, 1, 1000));
    case duckdb.Type.TIMESTAMP_MS:
      return int(8, int64Decoder(true, 1));
    case duckdb.Type.TIMESTAMP:
    case duckdb.Type.TIMESTAMP_TZ:
      return int(8, int64Decoder(true, 1000));
    case duckdb.Type.TIMESTAMP_NS:
      return int(8, int64Decoder(true, 1_000_000));
    case duckdb.Type.FLOAT:
      return { valueKind: 'float', byteWidth: 4, decode: viewDecoder(Float32Array) };
    case duckdb.Type.DOUBLE:
      return { valueKind: 'float', byteWidth: 8, decode: viewDecoder(Float64Array) };
    case duckdb.Type.DECIMAL:
      return decimalDecoder(duckdb.decimal_width(type), duckdb.decimal_scale(type));
    default:
      return undefined;
  }
}

type View = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
interface TypedViewConstructor<V extends View> {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): V;
  readonly BYTES_PER_ELEMENT: number;
}
type ViewConstructor = TypedViewConstructor<View>;

function view<V extends View>(kind: TypedViewConstructor<V>, data: Uint8Array, length: number): V {
  // Vector data is aligned; a copy covers the case where it is not.
  const bytes = data.byteOffset % kind.BYTES_PER_ELEMENT === 0 ? data : data.slice(0, length * kind.BYTES_PER_ELEMENT);
  return new kind(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
}

function viewDecoder(kind: ViewConstructor): NumberDecoder {
  return (data, rowCount, into) => {
    const values = view(kind, data, rowCount);
    for (let i = 0; i < rowCount; i++) into[i] = values[i]!;
  };
}

/**
 * 64-bit integers from their two 32-bit halves (exact up to 2^53, rounded as Number(bigint) beyond), multiplied
 * by `scale` or divided by `divisor` truncating toward zero — the row reader's `Number(micros / 1000n)`, exact
 * through BigInt for the rare value past 2^53.
 */
function int64Decoder(signed: boolean, divisor: number, scale = 1): NumberDecoder {
  const bigDivisor = BigInt(divisor);
  return (data, rowCount, into) => {
    const words = view(Int32Array, data, rowCount * 2);
    for (let i = 0; i < rowCount; i++) {
      const high = signed ? words[2 * i + 1]! : words[2 * i + 1]! >>> 0;
      const low = words[2 * i]! >>> 0;
      const value = high * 4294967296 + low;
      if (divisor === 1) into[i] = value * scale;
      else if (Math.abs(value) < 2 ** 53) into[i] = (value - (value % divisor)) / divisor;
      else into[i] = Number(((BigInt(high) << 32n) + BigInt(low)) / bigDivisor);
    }
  };
}

/** DECIMAL(width, scale) is stored as a 16, 32 or 64-bit integer; the value is that integer × 10^−scale, as the row reader computes it. */
function decimalDecoder(width: number, scale: number): NumberType | undefined {
  const factor = 10 ** -scale;
  const scaled = (kind: ViewConstructor): NumberDecoder => (data, rowCount, into) => {
    const values = view(kind, data, rowCount);
    for (let i = 0; i < rowCount; i++) into[i] = values[i]! * factor;
  };
  if (width <= 4) return { valueKind: 'float', byteWidth: 2, decode: scaled(Int16Array) };
  if (width <= 9) return { valueKind: 'float', byteWidth: 4, decode: scaled(Int32Array) };
  if (width <= 18) {
    const whole = int64Decoder(true, 1);
    return {
      valueKind: 'float',
      byteWidth: 8,
      decode: (data, rowCount, into) => {
        whole(data, rowCount, into);
        for (let i = 0; i < rowCount; i++) into[i] = into[i]! * factor;
      },
    };
  }
  return undefined;
}
