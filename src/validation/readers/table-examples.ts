/**
 * Rows of a table input (DuckDB or PostgreSQL, through the pipeline's SQL session) as examples: a NULL is a
 * missing feature, a list column gives several values, and each value takes its column's declared type
 * (table-columns.ts) — numbers that arrive as bigint, strings (PostgreSQL's int8[] and numeric[]), booleans or
 * dates become numbers; binary values are read as UTF-8 text, as for Parquet.
 */
import { ServingError } from '../../errors/serving-error.js';
import { parseTableUrl, quoteName } from '../../readers/table-url.js';
import type { FeatureValues } from '../example-values.js';
import type { ExampleRecord } from './example-source.js';
import { tableColumns, type TableColumn } from './table-columns.js';

/** Rows fetched from the database at a time. */
const CHUNK_ROWS = 2048;

export async function* readTableExamples(input: string): AsyncGenerator<ExampleRecord> {
  const url = parseTableUrl(input);
  // The database clients load only for table inputs.
  const { openSqlSession } = await import('../../readers/sql-session.js');
  const session = await openSqlSession(url, false);
  try {
    const from = 'table' in url.source ? `${quoteName(url.source.table)} AS src` : `(${url.source.query}) AS src`;
    let columns: TableColumn[];
    try {
      columns = await tableColumns(session, from, url.display);
    } catch (err) {
      if (err instanceof ServingError) throw err;
      throw new ServingError('INVALID_ARGUMENT', `${url.display}: cannot read the input: ${(err as Error).message}`);
    }
    let position = 0;
    for await (const chunk of session.stream(`SELECT * FROM ${from}`, CHUNK_ROWS)) {
      for (const row of chunk.rows) {
        position++;
        const example = new Map<string, FeatureValues>();
        for (let i = 0; i < columns.length; i++) {
          const value = row[i];
          if (value === null || value === undefined) continue;
          const column = columns[i]!;
          example.set(column.name, featureValues(column, value, url.display, position));
        }
        yield { example, position };
      }
    }
  } finally {
    await session.close();
  }
}

function featureValues(column: TableColumn, value: unknown, display: string, position: number): FeatureValues {
  const items = column.list ? (Array.isArray(value) ? value : [value]) : [value];
  const values: Array<number | string> = [];
  for (const item of items) {
    // A NULL inside a list is no value.
    if (item === null || item === undefined) continue;
    values.push(column.kind === 'string' ? stringOf(item) : numberOf(item, column, display, position));
  }
  return { kind: column.kind, values, fixedType: true };
}

function numberOf(item: unknown, column: TableColumn, display: string, position: number): number {
  if (typeof item === 'number') return item;
  if (typeof item === 'bigint') return Number(item);
  if (typeof item === 'boolean') return item ? 1 : 0;
  if (item instanceof Date) return item.getTime();
  if (typeof item === 'string' && item.trim() !== '' && !Number.isNaN(Number(item))) return Number(item);
  const time = typeof item === 'string' ? dateTextMillis(item) : undefined;
  if (time !== undefined) return time;
  // PostgreSQL and DuckDB spell these in lower case ("infinity", "-infinity" dates too), which Number() does not read.
  if (typeof item === 'string' && /^nan$/i.test(item)) return Number.NaN;
  const infinity = typeof item === 'string' ? /^([+-]?)infinity$/i.exec(item) : null;
  if (infinity !== null) return infinity[1] === '-' ? -Infinity : Infinity;
  throw new ServingError('INVALID_ARGUMENT', `${display} row ${position}: column "${column.name}" (${column.declared}) holds ${JSON.stringify(String(item))}, not a number`);
}

const DATE_TIME_TEXT = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Dates and timestamps as the drivers write them ("1970-01-02", "1970-01-02 10:00:00.5+00") → epoch ms, UTC unless a zone is given. */
function dateTextMillis(text: string): number | undefined {
  const match = DATE_TIME_TEXT.exec(text.trim());
  if (match === null) return undefined;
  const [, date, time, zone] = match;
  if (time === undefined) return Date.parse(date!);
  const offset = zone === undefined || zone === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const millis = Date.parse(`${date}T${time.replace(/(\.\d{3})\d+$/, '$1')}${offset}`);
  return Number.isNaN(millis) ? undefined : millis;
}

function stringOf(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item instanceof Uint8Array) return Buffer.from(item).toString('utf8');
  if (typeof item === 'object') return JSON.stringify(item);
  return String(item);
}
