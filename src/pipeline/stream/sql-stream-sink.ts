/**
 * Predictions as rows of a PostgreSQL or DuckDB table: `postgres://user@host:port/db?table=T`,
 * `duckdb:///path.db?table=T`. The table (created if missing) has one row per message:
 *
 *   message_id TEXT PRIMARY KEY, instance TEXT, prediction TEXT (JSON text), model_name TEXT,
 *   model_version BIGINT, event_time TIMESTAMPTZ, prediction_time TIMESTAMPTZ
 *
 * and dead letters go to `T_dead_letters` (message_id TEXT PRIMARY KEY, body, error, deliveries, event_time,
 * failed_time). Each write is one transaction of `INSERT … ON CONFLICT (message_id) DO NOTHING`, so a
 * redelivered message never adds a second row, and a crash mid-write leaves none of the window. Writes from
 * the windows in flight share one connection and take turns. A DuckDB file is opened by one process at a time,
 * so several workers need PostgreSQL.
 */
import { ServingError } from '../../errors/serving-error.js';
import { openSqlSession, type SqlParam, type SqlSession } from '../../readers/sql-session.js';
import { parseTableUrl, quoteName, type TableUrl } from '../../readers/table-url.js';
import type { DeadLetter, PredictionRecord, StreamSink } from './stream-contracts.js';
import type { SinkRole } from './stream-endpoints.js';

/** Rows per INSERT statement (PostgreSQL allows 65535 parameters). */
const ROWS_PER_INSERT = 500;

export const PREDICTION_COLUMNS = ['message_id', 'instance', 'prediction', 'model_name', 'model_version', 'event_time', 'prediction_time'] as const;
export const DEAD_LETTER_COLUMNS = ['message_id', 'body', 'error', 'deliveries', 'event_time', 'failed_time'] as const;

interface TableSpec {
  readonly name: string;
  readonly columns: readonly string[];
  readonly create: string;
  /** Which parameters of a row are epoch milliseconds to store as timestamps. */
  readonly timeColumns: ReadonlySet<number>;
}

export class SqlStreamSink implements StreamSink {
  readonly display: string;
  /** The write in progress; the next one starts after it (one connection, one transaction at a time). */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly url: TableUrl,
    private readonly session: SqlSession,
    private readonly predictions: TableSpec | undefined,
    private readonly deadLetters: TableSpec,
  ) {
    this.display = url.display;
  }

  /** `role` dead-letters: the URL's table holds the dead letters themselves. */
  static async open(text: string, role: SinkRole): Promise<SqlStreamSink> {
    const url = parseTableUrl(text);
    if (!('table' in url.source)) throw new ServingError('INVALID_ARGUMENT', `${url.display}: a stream sink needs ?table=, not ?query=`);
    const table = url.source.table;
    const predictions = role === 'predictions' ? predictionTable(table) : undefined;
    const deadLetters = deadLetterTable(role === 'predictions' ? `${table}_dead_letters` : table);
    const session = await openSqlSession(url, true);
    const sink = new SqlStreamSink(url, session, predictions, deadLetters);
    try {
      for (const spec of [predictions, deadLetters]) if (spec !== undefined) await sink.prepare(spec);
    } catch (err) {
      await session.close();
      throw err;
    }
    return sink;
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    if (this.predictions === undefined) throw new ServingError('INTERNAL', `${this.display} is a dead-letter sink`);
    const rows = records.map((r): SqlParam[] => [r.messageId, r.instance, r.prediction, r.modelName, r.modelVersion, r.eventTimeMs, r.predictionTimeMs]);
    await this.insert(this.predictions, rows);
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const rows = letters.map((l): SqlParam[] => [l.messageId, l.body, l.error, l.deliveries, l.eventTimeMs, l.failedTimeMs]);
    await this.insert(this.deadLetters, rows);
  }

  async close(): Promise<void> {
    await this.turn.catch(() => undefined);
    await this.session.close();
  }

  /** Creates the table if needed and checks that it has the columns and the unique message_id it must have. */
  private async prepare(spec: TableSpec): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.session.exec(spec.create);
        break;
      } catch (err) {
        // Workers starting together can race PostgreSQL's IF NOT EXISTS; the loser retries.
        if (attempt >= 3) throw new ServingError('FAILED_PRECONDITION', `${this.display}: cannot create table ${spec.name}: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
    try {
      // Plans the real statement without inserting anything: fails if a column or the unique key is missing.
      const columns = spec.columns.map((c) => quoteName(c)).join(', ');
      await this.session.exec(`INSERT INTO ${quoteName(spec.name)} (${columns}) SELECT ${columns} FROM ${quoteName(spec.name)} WHERE 1 = 0 ON CONFLICT ("message_id") DO NOTHING`);
    } catch (err) {
      throw new ServingError(
        'FAILED_PRECONDITION',
        `${this.display}: table ${spec.name} cannot hold stream rows (it needs the columns ${spec.columns.join(', ')} and message_id as its primary key): ${(err as Error).message}`,
      );
    }
  }

  private insert(spec: TableSpec, rows: readonly SqlParam[][]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const run = this.turn.then(() => this.transaction(spec, rows));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async transaction(spec: TableSpec, rows: readonly SqlParam[][]): Promise<void> {
    await this.session.exec('BEGIN');
    try {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await this.insertRows(spec, rows.slice(i, i + ROWS_PER_INSERT));
      await this.session.exec('COMMIT');
    } catch (err) {
      await this.session.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async insertRows(spec: TableSpec, rows: readonly SqlParam[][]): Promise<void> {
    const width = spec.columns.length;
    const tuples = rows.map((_, r) => `(${spec.columns.map((_, c) => this.placeholder(r * width + c + 1, spec.timeColumns.has(c))).join(', ')})`);
    const columns = spec.columns.map((c) => quoteName(c)).join(', ');
    await this.session.exec(`INSERT INTO ${quoteName(spec.name)} (${columns}) VALUES ${tuples.join(', ')} ON CONFLICT ("message_id") DO NOTHING`, rows.flat());
  }

  /** `$n`, or the timestamp of `$n` epoch milliseconds (exact in both engines, whatever the session time zone). */
  private placeholder(n: number, time: boolean): string {
    if (!time) return `$${n}`;
    return this.url.engine === 'postgres' ? `to_timestamp($${n}::bigint / 1000.0)` : `to_timestamp($${n}::BIGINT / 1000)`;
  }
}

function predictionTable(name: string): TableSpec {
  return {
    name,
    columns: PREDICTION_COLUMNS,
    create:
      `CREATE TABLE IF NOT EXISTS ${quoteName(name)} ("message_id" TEXT PRIMARY KEY, "instance" TEXT NOT NULL, "prediction" TEXT NOT NULL, ` +
      `"model_name" TEXT NOT NULL, "model_version" BIGINT NOT NULL, "event_time" TIMESTAMPTZ NOT NULL, "prediction_time" TIMESTAMPTZ NOT NULL)`,
    timeColumns: new Set([5, 6]),
  };
}

function deadLetterTable(name: string): TableSpec {
  return {
    name,
    columns: DEAD_LETTER_COLUMNS,
    create:
      `CREATE TABLE IF NOT EXISTS ${quoteName(name)} ("message_id" TEXT PRIMARY KEY, "body" TEXT NOT NULL, "error" TEXT NOT NULL, ` +
      `"deliveries" INTEGER NOT NULL, "event_time" TIMESTAMPTZ NOT NULL, "failed_time" TIMESTAMPTZ NOT NULL)`,
    timeColumns: new Set([4, 5]),
  };
}
