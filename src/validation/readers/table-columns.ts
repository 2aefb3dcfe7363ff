/**
 * The declared types of a table input's columns (DuckDB or PostgreSQL), mapped to TFDV feature types the way
 * Parquet columns are: integers, booleans (0/1), dates and timestamps (epoch ms) are INT; floating point and
 * decimal types are FLOAT; text, enums, UUIDs, JSON and binary are STRING; a list or array column is a
 * feature with several values per row. A column's type fixes its feature's type even where every value
 * looks integral (a DOUBLE column of 1.0, 2.0 is FLOAT). Other types (intervals, times of day, structs,
 * maps, geometric types) are refused with the column named, so the user can cast or leave it out.
 */
import { ServingError } from '../../errors/serving-error.js';
import type { SqlSession } from '../../readers/sql-session.js';

export interface TableColumn {
  readonly name: string;
  /** The type as the database names it, for messages. */
  readonly declared: string;
  readonly kind: 'int' | 'float' | 'string';
  /** A list (DuckDB LIST/ARRAY, PostgreSQL array): several values per row. */
  readonly list: boolean;
}

const DUCKDB_INT = new Set([
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
  'DATE',
  'TIMESTAMP',
  'TIMESTAMP_S',
  'TIMESTAMP_MS',
  'TIMESTAMP_NS',
  'TIMESTAMP WITH TIME ZONE',
]);
const DUCKDB_FLOAT = new Set(['FLOAT', 'DOUBLE', 'DECIMAL']);
const DUCKDB_STRING = new Set(['VARCHAR', 'BLOB', 'UUID', 'ENUM', 'JSON']);

/** A DuckDB type name from DESCRIBE (`INTEGER`, `DECIMAL(10,2)`, `VARCHAR[]`, `DOUBLE[3]`, `ENUM('a', 'b')`). */
export function duckDbColumn(name: string, declared: string): TableColumn | undefined {
  const listMatch = /^(.*?)(\[\d*\])$/.exec(declared.trim());
  const inner = listMatch === null ? declared.trim() : listMatch[1]!;
  if (listMatch !== null && /\[\d*\]$/.test(inner)) return undefined; // lists of lists
  const base = inner.replace(/\(.*\)$/s, '').trim().toUpperCase();
  const kind = DUCKDB_INT.has(base) ? 'int' : DUCKDB_FLOAT.has(base) ? 'float' : DUCKDB_STRING.has(base) ? 'string' : undefined;
  return kind === undefined ? undefined : { name, declared, kind, list: listMatch !== null };
}

const PG_INT_NAMES = new Set(['int2', 'int4', 'int8', 'oid', 'bool', 'date', 'timestamp', 'timestamptz']);
const PG_FLOAT_NAMES = new Set(['float4', 'float8', 'numeric', 'money']);
const PG_STRING_NAMES = new Set(['uuid', 'json', 'jsonb', 'bytea', 'xml', 'citext']);

/**
 * A PostgreSQL column from pg_type: `typname`, `typcategory` (N numeric, B boolean, D date/time, S string,
 * E enum, A array, U user-defined…), and for arrays the element's name and category.
 */
export function postgresColumn(name: string, declared: string, type: PgType, element?: PgType): TableColumn | undefined {
  if (type.category === 'A') {
    if (element === undefined || element.category === 'A') return undefined;
    const inner = postgresColumn(name, declared, element);
    return inner === undefined ? undefined : { ...inner, list: true };
  }
  const kind = PG_INT_NAMES.has(type.name)
    ? 'int'
    : PG_FLOAT_NAMES.has(type.name)
      ? 'float'
      : type.category === 'S' || type.category === 'E' || PG_STRING_NAMES.has(type.name)
        ? 'string'
        : undefined;
  return kind === undefined ? undefined : { name, declared, kind, list: false };
}

export interface PgType {
  readonly name: string;
  readonly category: string;
}

/** The columns of `SELECT * FROM <from>`, in order; an unsupported column is an error naming it. */
export async function tableColumns(session: SqlSession, from: string, display: string): Promise<TableColumn[]> {
  const described = session.engine === 'duckdb' ? await describeDuckDb(session, from) : await describePostgres(session, from);
  return described.map(({ name, declared, column }) => {
    if (column !== undefined) return column;
    throw new ServingError(
      'INVALID_ARGUMENT',
      `${display}: column "${name}" has type ${declared}, which statistics do not read (numbers, booleans, dates, timestamps, text, binary and lists of them); ` +
        `cast it or leave it out with ?query=SELECT …`,
    );
  });
}

interface DescribedColumn {
  readonly name: string;
  readonly declared: string;
  readonly column: TableColumn | undefined;
}

async function describeDuckDb(session: SqlSession, from: string): Promise<DescribedColumn[]> {
  const rows = await session.rows(`DESCRIBE SELECT * FROM ${from}`);
  return rows.map((row) => {
    const name = String(row['column_name']);
    const declared = String(row['column_type']);
    return { name, declared, column: duckDbColumn(name, declared) };
  });
}

/** PostgreSQL has no DESCRIBE of a query: a temporary view of it has its columns in pg_attribute. */
async function describePostgres(session: SqlSession, from: string): Promise<DescribedColumn[]> {
  const view = `millrace_stats_columns_${process.pid}_${Date.now()}`;
  await session.exec(`CREATE TEMPORARY VIEW ${view} AS SELECT * FROM ${from}`);
  try {
    const rows = await session.rows(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS declared, t.typname AS type_name, t.typcategory AS category,
              e.typname AS element_name, e.typcategory AS element_category
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
        WHERE a.attrelid = '${view}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    );
    return rows.map((row) => {
      const name = String(row['name']);
      const declared = String(row['declared']);
      const element = row['element_name'] == null ? undefined : { name: String(row['element_name']), category: String(row['element_category']) };
      return { name, declared, column: postgresColumn(name, declared, { name: String(row['type_name']), category: String(row['category']) }, element) };
    });
  } finally {
    await session.exec(`DROP VIEW IF EXISTS ${view}`);
  }
}
