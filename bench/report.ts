// The printed result: machine and settings, then one row per cell with ratios against the baselines.
import { sameLoad, type CellSummary } from './cell.js';
import { loadavg } from 'node:os';
import type { Machine } from './machine.js';
import type { BenchOptions } from './options.js';

export interface Baselines {
  /** Target whose req/s is the HTTP-layer ceiling. */
  readonly httpLimit: string;
  /** Target a user would write without millrace. */
  readonly naive: string;
  /** Pseudo-target whose rows/s is the model's own ceiling. */
  readonly computeLimit: string;
}

const COLUMNS = ['target', 'conc', 'rows/req', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'mean batch', 'server µs/req', 'errors', 'vs http', 'vs naive', 'vs compute'] as const;
// Text columns left-aligned, numbers right-aligned.
const LEFT_ALIGNED = new Set<string>(['target']);

function ratio(cell: CellSummary, summaries: readonly CellSummary[], baseline: string, value: (s: CellSummary) => number): string {
  const base = summaries.find((s) => s.target === baseline && sameLoad(s, cell));
  if (base === undefined || !(value(base) > 0)) return '-';
  return `${(value(cell) / value(base)).toFixed(2)}x`;
}

function row(cell: CellSummary, summaries: readonly CellSummary[], baselines: Baselines): string[] {
  return [
    cell.target,
    String(cell.concurrency),
    String(cell.rows),
    cell.requestsPerSecond.toFixed(0),
    cell.rowsPerSecond.toFixed(0),
    cell.p50Ms.toFixed(3),
    cell.p99Ms.toFixed(3),
    cell.meanBatchSize === undefined ? '-' : cell.meanBatchSize.toFixed(1),
    cell.serverMicrosPerRequest === undefined ? '-' : cell.serverMicrosPerRequest.toFixed(1),
    String(cell.errors),
    ratio(cell, summaries, baselines.httpLimit, (s) => s.requestsPerSecond),
    ratio(cell, summaries, baselines.naive, (s) => s.requestsPerSecond),
    ratio(cell, summaries, baselines.computeLimit, (s) => s.rowsPerSecond),
  ];
}

/** Rows grouped by load (rows/req, then conc), targets in `targetOrder` within a group, a blank line between groups. */
export function formatTable(summaries: readonly CellSummary[], baselines: Baselines, targetOrder: readonly string[]): string {
  const ordered = [...summaries].sort(
    (a, b) => a.rows - b.rows || a.concurrency - b.concurrency || targetOrder.indexOf(a.target) - targetOrder.indexOf(b.target),
  );
  const body = ordered.map((s) => row(s, summaries, baselines));
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (LEFT_ALIGNED.has(COLUMNS[i] ?? '') ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const lines = [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  ')];
  ordered.forEach((s, i) => {
    const previous = ordered[i - 1];
    if (previous !== undefined && !sameLoad(previous, s)) lines.push('');
    lines.push(line(body[i] ?? []));
  });
  return lines.join('\n');
}

export interface ReportContext {
  readonly machine: Machine;
  readonly options: BenchOptions;
  readonly baselines: Baselines;
  readonly targetOrder: readonly string[];
  /** Settings of the millrace targets, for the header. */
  readonly servers: string;
}

export function formatReport(summaries: readonly CellSummary[], context: ReportContext): string {
  const { machine, options, baselines } = context;
  const statistic = options.repeat > 1 ? `median of ${options.repeat} runs` : 'single run';
  return [
    `date:     ${machine.date}`,
    `machine:  ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, load average ${machine.loadAverage.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`,
    `software: node ${machine.node}, ${machine.wrk}`,
    `load:     ${options.durationSeconds} s per cell after ${options.warmupSeconds} s warm-up, ${statistic}, wrk threads = min(${options.wrkThreads}, conc)${options.quick ? ' (--quick)' : ''}`,
    `servers:  ${context.servers}`,
    `compute:  ${baselines.computeLimit} = session.run in the bench process on [B, 16] float32, B = that cell's mean batch; ${options.computeSeconds} s per cell`,
    '',
    formatTable(summaries, baselines, context.targetOrder),
    '',
    `req/s, rows/s, p50, p99, mean batch: ${statistic}. errors: non-2xx responses + socket errors, summed over runs.`,
    `mean batch: rows per model run during the cell (from the server's batch counters); for ${baselines.computeLimit}, the B it ran.`,
    `server µs/req: the server process's CPU time (all threads, from /proc) per answered request; ${statistic}.`,
    `${baselines.computeLimit}: p50/p99 are of one session.run; req/s = rows/s / rows/req.`,
    `vs http: req/s / ${baselines.httpLimit} req/s at the same conc and rows/req. vs naive: req/s / ${baselines.naive} req/s likewise.`,
    `vs compute: rows/s / ${baselines.computeLimit} rows/s likewise.`,
    '',
  ].join('\n');
}
