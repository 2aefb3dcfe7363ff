/**
 * One connection to DuckDB or PostgreSQL behind the few calls batch jobs need: statements with `$n` parameters,
 * small result sets, and large ones streamed in chunks (DuckDB's result chunks; a PostgreSQL cursor in its own
 * transaction) so memory stays bounded whatever the table's size. Values come back as JavaScript values:
 * BIGINT as bigint (exact), other numbers as numbers, text as strings, dates and timestamps as ISO-8601 text in
 * UTC (as from Parquet, see readers/iso-dates.ts).
 */
import { stat } from 'node:fs/promises';
import {
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  JSDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBValue,
  type DuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';
import pg from 'pg';
import { ServingError } from '../errors/serving-error.js';
import { isoDate, isoTimestamp } from './iso-dates.js';
import type { TableUrl } from './table-url.js';

export type SqlParam = string | number | bigint | null;

export interface RowChunk {
  readonly names: readonly string[];
  readonly rows: ReadonlyArray<readonly unknown[]>;
}

export interface SqlSession {
  readonly engine: TableUrl['engine'];
  exec(sql: string, params?: readonly SqlParam[]): Promise<void>;
  /** A result small enough to hold (counts, shard markers). */
  rows(sql: string, params?: readonly SqlParam[]): Promise<Array<Record<string, unknown>>>;
  /** Rows of `sql` about `chunkRows` at a time. */
  stream(sql: string, chunkRows: number): AsyncGenerator<RowChunk>;
  close(): Promise<void>;
}

/** Opens a session; `create` lets a DuckDB file be created (outputs), otherwise it must exist (inputs). */
export async function openSqlSession(url: TableUrl, create: boolean): Promise<SqlSession> {
  return url.engine === 'duckdb' ? DuckSession.open(url, create) : PgSession.open(url);
}

class DuckSession implements SqlSession {
  readonly engine = 'duckdb';
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(url: TableUrl, create: boolean): Promise<DuckSession> {
    if (!create) {
      await stat(url.target).catch(() => {
        throw new ServingError('NOT_FOUND', `${url.display}: no such DuckDB file ${url.target}`);
      });
    }
    try {
      // The instance cache lets one job read and write the same file through two connections.
      const instance = await DuckDBInstance.fromCache(url.target);
      return new DuckSession(await instance.connect());
    } catch (err) {
      throw new ServingError('FAILED_PRECONDITION', `${url.display}: cannot open DuckDB database: ${(err as Error).message}`);
    }
  }

  async exec(sql: string, params?: readonly SqlParam[]): Promise<void> {
    await this.connection.run(sql, params === undefined ? undefined : (params as DuckDBValue[]));
  }

  async rows(sql: string, params?: readonly SqlParam[]): Promise<Array<Record<string, unknown>>> {
    const result = await this.connection.runAndReadAll(sql, params === undefined ? undefined : (params as DuckDBValue[]));
    return result.getRowObjectsJS();
  }

  async *stream(sql: string): AsyncGenerator<RowChunk> {
    const result = await this.connection.stream(sql);
    const names = result.columnNames();
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) return;
      yield { names, rows: chunk.convertRows(ISO_DATES_CONVERTER) };
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
  }
}

/** DuckDB values as JavaScript values, dates and timestamps as ISO-8601 text (a Date would drop microseconds). */
const ISO_DATES_CONVERTER: DuckDBValueConverter<JS> = (value, type, converter) => {
  try {
    if (value instanceof DuckDBDateValue) return isoDate(value.days);
    if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return isoTimestamp(value.micros, 1_000_000n, 6);
    if (value instanceof DuckDBTimestampMillisecondsValue) return isoTimestamp(value.millis, 1_000n, 3);
    if (value instanceof DuckDBTimestampNanosecondsValue) return isoTimestamp(value.nanos, 1_000_000_000n, 9);
    if (value instanceof DuckDBTimestampSecondsValue) return isoTimestamp(value.seconds, 1n, 0);
  } catch {
    // infinity and the like: DuckDB's own text
    return String(value);
  }
  return JSDuckDBValueConverter(value, type, converter);
};

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const DATE_OID = 1082;
const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;

/**
 * int8 as bigint (pg's default is a string), numeric as a number, dates and timestamps as ISO-8601 text (the
 * session's time zone is UTC, so a timestamptz comes as `…+00`); everything else as pg parses it.
 */
const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID) return (text: string) => BigInt(text);
    if (oid === NUMERIC_OID) return (text: string) => Number(text);
    if (oid === DATE_OID) return (text: string) => text;
    if (oid === TIMESTAMP_OID || oid === TIMESTAMPTZ_OID) return pgTimestampIso;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** `2024-03-01 12:34:56.5` or `…+00` → `2024-03-01T12:34:56.500000Z` (microseconds, as PostgreSQL stores them). */
function pgTimestampIso(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:\+00)?$/.exec(text);
  // BC dates, infinity, other offsets: PostgreSQL's own text.
  if (match === null) return text;
  return `${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(6, '0')}Z`;
}

class PgSession implements SqlSession {
  readonly engine = 'postgres';
  private cursors = 0;
  private constructor(private readonly client: pg.Client) {}

  static async open(url: TableUrl): Promise<PgSession> {
    const client = new pg.Client({ connectionString: url.target, types: PG_TYPES });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw new ServingError('FAILED_PRECONDITION', `${url.display}: cannot connect to PostgreSQL: ${(err as Error).message}`);
    }
    // UTC, so timestamptz text needs no offset arithmetic (see pgTimestampIso). A SET after connecting rather
    // than a startup option: poolers such as PgBouncer refuse unknown startup options, and an `options` in the
    // URL would override it.
    try {
      await client.query("SET TIME ZONE 'UTC'");
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new ServingError('FAILED_PRECONDITION', `${url.display}: cannot set the session's time zone to UTC: ${(err as Error).message}`);
    }
    return new PgSession(client);
  }

  async exec(sql: string, params?: readonly SqlParam[]): Promise<void> {
    await this.client.query(sql, params === undefined ? undefined : [...params]);
  }

  async rows(sql: string, params?: readonly SqlParam[]): Promise<Array<Record<string, unknown>>> {
    const result = await this.client.query(sql, params === undefined ? undefined : [...params]);
    return result.rows as Array<Record<string, unknown>>;
  }

  async *stream(sql: string, chunkRows: number): AsyncGenerator<RowChunk> {
    const cursor = `millrace_cursor_${++this.cursors}`;
    await this.client.query('BEGIN READ ONLY');
    let open = true;
    try {
      await this.client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`);
      for (;;) {
        const result = await this.client.query({ text: `FETCH ${chunkRows} FROM ${cursor}`, rowMode: 'array' });
        if (result.rows.length === 0) break;
        const names = result.fields.map((f) => f.name);
        yield { names, rows: result.rows as unknown[][] };
      }
      await this.client.query('COMMIT');
      open = false;
    } finally {
      // On an error, or when the consumer stops early (generator return), the transaction is still open.
      if (open) await this.client.query('ROLLBACK').catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
