/**
 * What a stream did, read back from its sink table (`millrace stream-stats`): rows and distinct message ids
 * (equal when nothing was doubled), dead letters, the span of prediction times and the throughput over it,
 * and end-to-end latency percentiles (prediction_time − event_time), per model version too. One query per
 * engine does the arithmetic in the database, so the table's size does not matter here.
 */
import { ServingError } from '../../errors/serving-error.js';
import { openSqlSession, type SqlSession } from '../../readers/sql-session.js';
import { parseTableUrl, quoteName, type TableUrl } from '../../readers/table-url.js';

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface StreamStats {
  readonly sink: string;
  readonly rows: number;
  readonly distinctMessageIds: number;
  readonly deadLetters: number;
  /** Epoch ms of the first and last prediction; undefined when the table is empty. */
  readonly firstPredictionMs: number | undefined;
  readonly lastPredictionMs: number | undefined;
  /** Rows per second between the first and the last prediction. */
  readonly throughputPerSecond: number | undefined;
  /** End-to-end latency in milliseconds; undefined when the table is empty. */
  readonly latencyMs: LatencySummary | undefined;
  readonly versions: ReadonlyArray<{ readonly modelName: string; readonly modelVersion: number; readonly rows: number }>;
}

export async function readStreamStats(text: string): Promise<StreamStats> {
  const url = parseTableUrl(text);
  if (!('table' in url.source)) throw new ServingError('INVALID_ARGUMENT', `${url.display}: name the sink table with ?table=`);
  const table = url.source.table;
  const session = await openSqlSession(url, false);
  try {
    const latency = url.engine === 'postgres' ? 'EXTRACT(EPOCH FROM ("prediction_time" - "event_time")) * 1000' : 'epoch_ms("prediction_time") - epoch_ms("event_time")';
    const epochMs = (column: string): string => (url.engine === 'postgres' ? `EXTRACT(EPOCH FROM ${column}) * 1000` : `epoch_ms(${column})`);
    const percentiles =
      url.engine === 'postgres'
        ? `percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY ${latency})`
        : `quantile_cont(${latency}, [0.5, 0.9, 0.99])`;
    const [summary] = await query(session, url, table, `
      SELECT count(*) AS rows, count(DISTINCT "message_id") AS ids,
             ${epochMs('min("prediction_time")')} AS first_ms, ${epochMs('max("prediction_time")')} AS last_ms,
             ${percentiles} AS percentiles, max(${latency}) AS max_ms, avg(${latency}) AS mean_ms
      FROM ${quoteName(table)}`);
    const versions = await query(session, url, table, `
      SELECT "model_name" AS name, "model_version" AS version, count(*) AS rows FROM ${quoteName(table)}
      GROUP BY "model_name", "model_version" ORDER BY "model_name", "model_version"`);
    const deadLetters = await countDeadLetters(session, `${table}_dead_letters`);
    const rows = Number(summary!['rows']);
    const first = optionalNumber(summary!['first_ms']);
    const last = optionalNumber(summary!['last_ms']);
    const p = (summary!['percentiles'] as unknown[] | null)?.map(Number);
    return {
      sink: url.display,
      rows,
      distinctMessageIds: Number(summary!['ids']),
      deadLetters,
      firstPredictionMs: first,
      lastPredictionMs: last,
      throughputPerSecond: first !== undefined && last !== undefined && last > first ? (rows * 1000) / (last - first) : undefined,
      latencyMs: p === undefined || rows === 0 ? undefined : { p50: p[0]!, p90: p[1]!, p99: p[2]!, max: Number(summary!['max_ms']), mean: Number(summary!['mean_ms']) },
      versions: versions.map((v) => ({ modelName: String(v['name']), modelVersion: Number(v['version']), rows: Number(v['rows']) })),
    };
  } finally {
    await session.close();
  }
}

async function query(session: SqlSession, url: TableUrl, table: string, sql: string): Promise<Array<Record<string, unknown>>> {
  try {
    return await session.rows(sql);
  } catch (err) {
    throw new ServingError('FAILED_PRECONDITION', `${url.display}: cannot read stream rows from table ${table}: ${(err as Error).message}`);
  }
}

/** Dead letters in the sink's own dead-letter table; 0 when there is none (they went elsewhere, or never were). */
async function countDeadLetters(session: SqlSession, table: string): Promise<number> {
  try {
    const [row] = await session.rows(`SELECT count(*) AS n FROM ${quoteName(table)}`);
    return Number(row?.['n'] ?? 0);
  } catch {
    return 0;
  }
}

function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/** The report `millrace stream-stats` prints. */
export function formatStreamStats(stats: StreamStats): string {
  const lines = [`sink: ${stats.sink}`];
  const doubled = stats.rows - stats.distinctMessageIds;
  lines.push(`rows: ${stats.rows} (${stats.distinctMessageIds} distinct message ids${doubled > 0 ? `, ${doubled} repeated` : ''}); dead letters: ${stats.deadLetters}`);
  if (stats.firstPredictionMs !== undefined && stats.lastPredictionMs !== undefined) {
    const span = (stats.lastPredictionMs - stats.firstPredictionMs) / 1000;
    const rate = stats.throughputPerSecond === undefined ? 'n/a' : `${stats.throughputPerSecond.toFixed(1)} rows/s`;
    lines.push(`predictions: ${new Date(stats.firstPredictionMs).toISOString()} to ${new Date(stats.lastPredictionMs).toISOString()} (${span.toFixed(3)} s): ${rate}`);
  }
  const l = stats.latencyMs;
  if (l !== undefined) {
    const ms = (v: number): string => v.toFixed(1);
    lines.push(`end-to-end latency (prediction_time - event_time), ms: p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)}, mean ${ms(l.mean)}`);
  }
  for (const v of stats.versions) lines.push(`model ${v.modelName} version ${v.modelVersion}: ${v.rows} rows`);
  return `${lines.join('\n')}\n`;
}
