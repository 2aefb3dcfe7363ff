/**
 * A database table as a job's output: one row per prediction in `T` (`key` when --key_field is set,
 * `instance` and `prediction` as JSON text, `model_name`, `model_version`), one per failed row in `T_errors`
 * (`key`, `instance` or, when the record could not be shaped, `raw_record`, `error` as JSON text, `input`, `row`:
 * the 1-based line or row of the input). A shard's rows are inserted in one transaction that also inserts its
 * marker into `T_shards` (shard, job fingerprint, failed rows), so a shard is in the table whole or not at all:
 * a crash rolls it back, and a rerun skips marked shards and still counts their failed rows.
 */
import { createHash } from 'node:crypto';
import { ServingError } from '../../errors/serving-error.js';
import { instanceJson } from '../instance-json.js';
import type { JobManifest } from '../job-manifest.js';
import type { ClaimedShards, ErrorRow, JobOutput, ResultRow, ShardSink } from '../job-output.js';
import type { OutputShard } from '../work-plan.js';
import { openSqlSession, type SqlParam, type SqlSession } from '../../readers/sql-session.js';
import { quoteName, type TableUrl } from '../../readers/table-url.js';

export interface TableOutputOptions {
  readonly hasKey: boolean;
  readonly model: { readonly name: string; readonly version: number } | undefined;
}

/** Rows per INSERT statement. */
const INSERT_ROWS = 200;

export class TableOutput implements JobOutput {
  readonly directory = undefined;
  private fingerprint = '';

  private constructor(
    private readonly url: TableUrl,
    private readonly session: SqlSession,
    private readonly options: TableOutputOptions,
  ) {}

  static async open(url: TableUrl, options: TableOutputOptions): Promise<TableOutput> {
    if (!('table' in url.source)) throw new ServingError('INVALID_ARGUMENT', `${url.display}: an output needs ?table=, not ?query=`);
    return new TableOutput(url, await openSqlSession(url, true), options);
  }

  private get names(): { results: string; errors: string; shards: string } {
    const table = (this.url.source as { table: string }).table;
    return { results: quoteName(table), errors: quoteName(`${table}_errors`), shards: quoteName(`${table}_shards`) };
  }

  async claim(manifest: JobManifest, owned: readonly OutputShard[]): Promise<ClaimedShards> {
    this.fingerprint = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 32);
    const { results, errors, shards } = this.names;
    const key = this.options.hasKey ? '"key" TEXT, ' : '';
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${results} (${key}"instance" TEXT NOT NULL, "prediction" TEXT NOT NULL, "model_name" TEXT, "model_version" BIGINT)`,
      `CREATE TABLE IF NOT EXISTS ${errors} (${key}"instance" TEXT, "raw_record" TEXT, "error" TEXT NOT NULL, "input" TEXT NOT NULL, "row" BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${shards} ("shard" INTEGER PRIMARY KEY, "shard_count" INTEGER NOT NULL, "fingerprint" TEXT NOT NULL, "failed_rows" BIGINT)`,
      // Tables an earlier version created lack these columns.
      `ALTER TABLE ${errors} ADD COLUMN IF NOT EXISTS "raw_record" TEXT`,
      `ALTER TABLE ${shards} ADD COLUMN IF NOT EXISTS "failed_rows" BIGINT`,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        for (const sql of statements) await this.session.exec(sql);
        break;
      } catch (err) {
        // Processes of one sharded job starting together can race PostgreSQL's IF NOT EXISTS; the loser retries.
        if (attempt >= 3) throw new ServingError('FAILED_PRECONDITION', `${this.url.display}: cannot create the output tables: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
    const markers = await this.session.rows(`SELECT "shard", "fingerprint", "failed_rows" FROM ${shards}`);
    if (markers.some((m) => m['fingerprint'] !== this.fingerprint)) {
      throw new ServingError(
        'FAILED_PRECONDITION',
        `${this.url.display} holds shards of a different job (${shards} has other fingerprints than ${this.fingerprint}); use a new table, or drop the old ones to start over`,
      );
    }
    const failedByShard = new Map(markers.map((m) => [Number(m['shard']), Number(m['failed_rows'] ?? 0)]));
    const todo = owned.filter((s) => !failedByShard.has(s.index));
    const committedFailedRows = owned.reduce((n, s) => n + (failedByShard.get(s.index) ?? 0), 0);
    return { todo, committedFailedRows };
  }

  async openShard(shard: OutputShard): Promise<ShardSink> {
    await this.session.exec('BEGIN');
    return new TableShard(this.session, this.names, shard, this.fingerprint, this.options);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

class TableShard implements ShardSink {
  private results: SqlParam[][] = [];
  private errors: SqlParam[][] = [];

  constructor(
    private readonly session: SqlSession,
    private readonly names: { results: string; errors: string; shards: string },
    private readonly shard: OutputShard,
    private readonly fingerprint: string,
    private readonly options: TableOutputOptions,
  ) {}

  async writeResult(row: ResultRow): Promise<void> {
    if (row.prediction === undefined) throw new ServingError('INVALID_ARGUMENT', 'a table output holds predictions; --export_only writes files');
    const model = this.options.model;
    const values: SqlParam[] = [row.instance, row.prediction, model?.name ?? null, model?.version ?? null];
    this.results.push(this.options.hasKey ? [keyText(row.key?.value), ...values] : values);
    if (this.results.length >= INSERT_ROWS) await this.flush();
  }

  async writeError(row: ErrorRow): Promise<void> {
    const error = JSON.stringify({ code: row.error.code, message: row.error.message });
    const values: SqlParam[] = [
      row.instance === undefined ? null : instanceJson(row.instance),
      row.rawRecord === undefined ? null : instanceJson(row.rawRecord),
      error,
      row.input,
      row.position,
    ];
    this.errors.push(this.options.hasKey ? [keyText(row.key), ...values] : values);
    if (this.errors.length >= INSERT_ROWS) await this.flush();
  }

  async commit(failedRows: number): Promise<void> {
    await this.flush();
    await this.session.exec(`INSERT INTO ${this.names.shards} ("shard", "shard_count", "fingerprint", "failed_rows") VALUES ($1, $2, $3, $4)`, [
      this.shard.index,
      this.shard.count,
      this.fingerprint,
      failedRows,
    ]);
    await this.session.exec('COMMIT');
  }

  async discard(): Promise<void> {
    await this.session.exec('ROLLBACK').catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const key = this.options.hasKey ? '"key", ' : '';
    await insertRows(this.session, `${this.names.results} (${key}"instance", "prediction", "model_name", "model_version")`, this.results);
    await insertRows(this.session, `${this.names.errors} (${key}"instance", "raw_record", "error", "input", "row")`, this.errors);
    this.results = [];
    this.errors = [];
  }
}

async function insertRows(session: SqlSession, into: string, rows: readonly SqlParam[][]): Promise<void> {
  if (rows.length === 0) return;
  const width = rows[0]!.length;
  const tuples = rows.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
  await session.exec(`INSERT INTO ${into} VALUES ${tuples.join(', ')}`, rows.flat());
}

/** Keys as text: strings as they are, other values (numbers, bigints) as their JSON text; none is NULL. */
function keyText(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? key : instanceJson(key);
}
