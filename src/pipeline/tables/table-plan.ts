/**
 * Work units of a table input: row ranges of `recordsPerUnit` rows in a stable order, each read with its own
 * `ORDER BY … LIMIT … OFFSET …`, so every process of a sharded job (and every rerun) cuts the table the same
 * way. The order is the --key_field column (its values should be unique, or ties may be cut differently;
 * a DuckDB table breaks them by rowid), else DuckDB's rowid for a DuckDB table. A query or PostgreSQL table without a key has no stable order: it is read as one unit, and only a
 * single-shard job may read it.
 */
import { ServingError } from '../../errors/serving-error.js';
import type { TableUnit } from '../../readers/input-record.js';
import type { SqlSession } from '../../readers/sql-session.js';
import { quoteName, type TableUrl } from '../../readers/table-url.js';

export interface TablePlanOptions {
  readonly recordsPerUnit: number;
  readonly numOutputShards: number;
  readonly shardCount: number;
  readonly keyField?: string | undefined;
}

export interface TableInput {
  readonly url: string;
  readonly rows: number;
  /** What the rows are ordered by (recorded in the job manifest). */
  readonly order: string;
}

export async function planTableUnits(url: TableUrl, session: SqlSession, options: TablePlanOptions): Promise<{ input: TableInput; units: TableUnit[] }> {
  const from = 'table' in url.source ? `${quoteName(url.source.table)} AS src` : `(${url.source.query}) AS src`;
  let rows: number;
  try {
    const [first] = await session.rows(`SELECT count(*) AS n FROM ${from}`);
    rows = Number(first?.['n'] ?? 0);
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `${url.display}: cannot read the input: ${(err as Error).message}`);
  }
  // rowid also breaks ties between equal keys of a DuckDB table.
  const rowid = url.engine === 'duckdb' && 'table' in url.source ? 'rowid' : undefined;
  const order = options.keyField !== undefined ? [quoteName(options.keyField), ...(rowid === undefined ? [] : [rowid])].join(', ') : rowid;
  if (order === undefined) {
    if (options.shardCount > 1 || options.numOutputShards > 1) {
      throw new ServingError(
        'INVALID_ARGUMENT',
        `${url.display}: a sharded job (--shard_count or --num_output_shards above 1) needs a stable row order to split this input; set --key_field to a column with unique values`,
      );
    }
    const unit: TableUnit = { file: url.display, format: 'table', rows: { rowStart: 0, rowEnd: rows }, sql: `SELECT * FROM ${from}`, size: rows };
    return { input: { url: url.display, rows, order: 'none' }, units: rows > 0 ? [unit] : [] };
  }
  const units: TableUnit[] = [];
  for (let start = 0; start < rows; start += options.recordsPerUnit) {
    const end = Math.min(rows, start + options.recordsPerUnit);
    const sql = `SELECT * FROM ${from} ORDER BY ${order} LIMIT ${end - start} OFFSET ${start}`;
    units.push({ file: url.display, format: 'table', rows: { rowStart: start, rowEnd: end }, sql, size: end - start });
  }
  return { input: { url: url.display, rows, order }, units };
}
