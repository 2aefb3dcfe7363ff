// The flights benches' printed table: one row per contender, medians over repeats, a ratio to one baseline.
import { median } from './quantiles.js';

export interface Measured {
  readonly contender: string;
  readonly rows: number;
  readonly seconds: readonly number[];
  readonly peakRssBytes: readonly number[];
  /** CPU seconds of each run, when measured; the table then has a CPU column. */
  readonly cpuSeconds?: readonly number[];
}

export interface Summary {
  readonly contender: string;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
  readonly cpuSeconds?: number;
}

export function summarize(m: Measured): Summary {
  const seconds = median(m.seconds);
  const summary = { contender: m.contender, rows: m.rows, seconds, rowsPerSecond: m.rows / seconds, peakRssMb: median(m.peakRssBytes) / 2 ** 20 };
  return m.cpuSeconds === undefined || m.cpuSeconds.length === 0 ? summary : { ...summary, cpuSeconds: median(m.cpuSeconds) };
}

/** `ratioTitle` compares each contender's `ratioOf` with the baseline's; '-' where the baseline is missing. */
export function formatSummaries(summaries: readonly Summary[], baseline: string, ratioTitle: string, ratioOf: (s: Summary) => number): string {
  const base = summaries.find((s) => s.contender === baseline);
  const withCpu = summaries.some((s) => s.cpuSeconds !== undefined);
  const titles = ['contender', 'rows', 'seconds', ...(withCpu ? ['CPU s'] : []), 'rows/s', 'peak RSS MB', ratioTitle];
  const body = summaries.map((s) => [
    s.contender,
    String(s.rows),
    s.seconds.toFixed(2),
    ...(withCpu ? [s.cpuSeconds === undefined ? '-' : s.cpuSeconds.toFixed(2)] : []),
    s.rowsPerSecond.toFixed(0),
    s.peakRssMb.toFixed(0),
    base === undefined ? '-' : `${(ratioOf(s) / ratioOf(base)).toFixed(2)}x`,
  ]);
  const widths = titles.map((t, i) => Math.max(t.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(titles), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function verdict(pass: boolean, text: string): string {
  return `${pass ? 'PASS' : 'FAIL'}  ${text}`;
}
