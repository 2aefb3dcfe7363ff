// One table cell (target × concurrency × rows): its raw runs and their summary across repeats.
import { median } from './quantiles.js';

export interface CellKey {
  readonly target: string;
  readonly concurrency: number;
  readonly rows: number;
}

/** One measured run of a cell, whether wrk loaded a server or the compute limit ran in-process. */
export interface RunResult {
  readonly requestsPerSecond: number;
  readonly rowsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx responses plus socket errors. */
  readonly errors: number;
  /** Rows per model run over the run: measured for a batching server, fixed for the compute limit, else undefined. */
  readonly meanBatchSize: number | undefined;
  /**
   * Server CPU time (all its threads, user + system, from /proc) per answered request over the measured run,
   * in microseconds; undefined for the in-process compute limit. Unlike req/s, it barely moves when other
   * processes share the machine.
   */
  readonly serverMicrosPerRequest?: number | undefined;
}

export interface CellResult extends CellKey {
  readonly runs: readonly RunResult[];
}

export interface CellSummary extends CellKey {
  readonly repeats: number;
  readonly requestsPerSecond: number;
  readonly rowsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanBatchSize: number | undefined;
  readonly serverMicrosPerRequest: number | undefined;
  /** Summed over every run: any is a red flag, so none are hidden by a median. */
  readonly errors: number;
}

export function summarize(cell: CellResult): CellSummary {
  const batchSizes = cell.runs.flatMap((r) => (r.meanBatchSize === undefined ? [] : [r.meanBatchSize]));
  const cpu = cell.runs.flatMap((r) => (r.serverMicrosPerRequest === undefined ? [] : [r.serverMicrosPerRequest]));
  return {
    target: cell.target,
    concurrency: cell.concurrency,
    rows: cell.rows,
    repeats: cell.runs.length,
    requestsPerSecond: median(cell.runs.map((r) => r.requestsPerSecond)),
    rowsPerSecond: median(cell.runs.map((r) => r.rowsPerSecond)),
    p50Ms: median(cell.runs.map((r) => r.p50Ms)),
    p99Ms: median(cell.runs.map((r) => r.p99Ms)),
    meanBatchSize: batchSizes.length === 0 ? undefined : median(batchSizes),
    serverMicrosPerRequest: cpu.length === 0 ? undefined : median(cpu),
    errors: cell.runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** Same load (concurrency and rows), possibly on different targets: what ratios compare. */
export function sameLoad(a: CellKey, b: CellKey): boolean {
  return a.concurrency === b.concurrency && a.rows === b.rows;
}

export function findCell<T extends CellKey>(cells: readonly T[], target: string, concurrency: number, rows: number): T | undefined {
  return cells.find((c) => c.target === target && c.concurrency === concurrency && c.rows === rows);
}
