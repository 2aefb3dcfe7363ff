// The printed result: one table per batching mode (medians over repeats), the gRPC ÷ REST ratios, and the
// acceptance line of the protocols issue.
import { median } from '../quantiles.js';
import type { LoadClientResult } from './load-client-messages.js';
import { isGrpc, type Protocol } from './protocol.js';
import type { BatchingMode, Generator } from './protocols-options.js';

export interface ProtocolRun {
  readonly generator: Generator;
  readonly batching: BatchingMode;
  /** gRPC connections; undefined for REST, which opens one socket per client. */
  readonly grpcChannels: number | undefined;
  readonly repeat: number;
  readonly result: LoadClientResult;
}

const ACCEPTANCE_ROWS = 32;

export const GENERATOR_NAMES: Readonly<Record<Generator, string>> = {
  c: 'C generators (wrk for REST, h2load for gRPC)',
  node: 'Node load client',
};

const COLUMNS = ['protocol', 'conns', 'rows/req', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'client cpu', 'server cpu', 'server wait', 'client µs/req', 'server µs/req', 'mean batch'] as const;
const LEFT_ALIGNED = new Set<string>(['protocol']);

interface Group {
  readonly protocol: Protocol;
  readonly grpcChannels: number | undefined;
  readonly rows: number;
  readonly runs: readonly ProtocolRun[];
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
const medianOf = (runs: readonly ProtocolRun[], value: (r: LoadClientResult) => number | undefined): number | undefined => {
  const values = runs.flatMap((r) => {
    const v = value(r.result);
    return v === undefined ? [] : [v];
  });
  return values.length === 0 ? undefined : median(values);
};

// CPU time per answered call: unlike req/s it barely moves when other processes take cores away.
const perRequestMicros = (cores: number, r: LoadClientResult): number | undefined =>
  r.requestsPerSecond > 0 ? (cores / r.requestsPerSecond) * 1e6 : undefined;

function groups(runs: readonly ProtocolRun[], protocolOrder: readonly Protocol[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const run of runs) {
    const key = `${run.result.protocol}|${run.grpcChannels ?? ''}|${run.result.rows}`;
    const group = byKey.get(key) ?? { protocol: run.result.protocol, grpcChannels: run.grpcChannels, rows: run.result.rows, runs: [] };
    byKey.set(key, { ...group, runs: [...group.runs, run] });
  }
  return [...byKey.values()].sort(
    (a, b) =>
      a.rows - b.rows || protocolOrder.indexOf(a.protocol) - protocolOrder.indexOf(b.protocol) || (a.grpcChannels ?? 0) - (b.grpcChannels ?? 0),
  );
}

function tableRow(group: Group, clients: number): string[] {
  const valid = group.runs.every((r) => r.result.validationError === undefined);
  return [
    group.protocol + (valid ? '' : ' (WRONG ANSWER)'),
    String(group.grpcChannels ?? clients),
    String(group.rows),
    fixed(medianOf(group.runs, (r) => r.requestsPerSecond), 0),
    fixed(medianOf(group.runs, (r) => r.rowsPerSecond), 0),
    fixed(medianOf(group.runs, (r) => r.p50Ms), 2),
    fixed(medianOf(group.runs, (r) => r.p99Ms), 2),
    String(group.runs.reduce((sum, r) => sum + r.result.errors, 0)),
    fixed(medianOf(group.runs, (r) => r.clientCpuCores), 2),
    fixed(medianOf(group.runs, (r) => r.serverCpuCores), 2),
    fixed(medianOf(group.runs, (r) => r.serverWaitCores), 2),
    fixed(medianOf(group.runs, (r) => perRequestMicros(r.clientCpuCores, r)), 0),
    fixed(medianOf(group.runs, (r) => (r.serverCpuCores === undefined ? undefined : perRequestMicros(r.serverCpuCores, r))), 0),
    fixed(medianOf(group.runs, (r) => r.meanBatchSize), 1),
  ];
}

function formatTable(all: readonly Group[], clients: number): string {
  const body = all.map((g) => tableRow(g, clients));
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (LEFT_ALIGNED.has(COLUMNS[i] ?? '') ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const lines = [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  ')];
  all.forEach((g, i) => {
    if (i > 0 && all[i - 1]?.rows !== g.rows) lines.push('');
    lines.push(line(body[i] ?? []));
  });
  return lines.join('\n');
}

interface Ratio {
  readonly text: string;
  /** Ratio of the median rows/s; undefined when either side is missing. */
  readonly value: number | undefined;
  readonly numerator: number | undefined;
  readonly denominator: number | undefined;
}

// Ratio of medians, plus the ratio within each repeat: runs of one repeat sit close in time, so they share the
// machine's background load and their ratio is steadier than the medians'.
function ratio(all: readonly Group[], rows: number, top: Protocol, topChannels: number | undefined, bottom: Protocol): Ratio {
  const find = (p: Protocol, channels: number | undefined) => all.find((g) => g.protocol === p && g.rows === rows && g.grpcChannels === channels);
  const a = find(top, topChannels);
  const b = find(bottom, undefined);
  const label = `${top}${topChannels === undefined ? '' : ` (${topChannels} conn)`} ÷ ${bottom}, ${rows} row${rows === 1 ? '' : 's'}`;
  const numerator = a === undefined ? undefined : medianOf(a.runs, (r) => r.rowsPerSecond);
  const denominator = b === undefined ? undefined : medianOf(b.runs, (r) => r.rowsPerSecond);
  if (a === undefined || b === undefined || numerator === undefined || denominator === undefined || !(denominator > 0)) {
    return { text: `${label}: -`, value: undefined, numerator, denominator };
  }
  const paired = a.runs.flatMap((ra) => {
    const rb = b.runs.find((r) => r.repeat === ra.repeat);
    return rb === undefined || !(rb.result.rowsPerSecond > 0) ? [] : [(ra.result.rowsPerSecond / rb.result.rowsPerSecond).toFixed(2)];
  });
  const value = numerator / denominator;
  return { text: `${label}: ${value.toFixed(2)}x rows/s (per repeat: ${paired.join(', ')})`, value, numerator, denominator };
}

export interface ModeReport {
  readonly text: string;
  readonly acceptance: string | undefined;
  readonly passed: boolean;
}

export function formatMode(
  generator: Generator,
  batching: BatchingMode,
  runs: readonly ProtocolRun[],
  protocolOrder: readonly Protocol[],
  grpcChannels: readonly number[],
  clients: number,
): ModeReport {
  const all = groups(
    runs.filter((r) => r.batching === batching && r.generator === generator),
    protocolOrder,
  );
  const rowsList = [...new Set(all.map((g) => g.rows))];
  const ratioLines: string[] = [];
  for (const rows of rowsList) {
    for (const channels of grpcChannels) {
      ratioLines.push(ratio(all, rows, 'tf-grpc', channels, 'tf-rest').text);
      ratioLines.push(ratio(all, rows, 'v2-grpc', channels, 'v2-rest').text);
      ratioLines.push(ratio(all, rows, 'v2-grpc', channels, 'v2-rest-binary').text);
    }
  }
  const shown = ratioLines.filter((l) => !l.endsWith(': -'));

  // The issue's criterion, on the first --grpc-channels value.
  const criterion = ratio(all, ACCEPTANCE_ROWS, 'tf-grpc', grpcChannels[0], 'tf-rest');
  let acceptance: string | undefined;
  let passed = true;
  if (criterion.value !== undefined) {
    passed = criterion.value >= 1;
    acceptance =
      `${ACCEPTANCE_ROWS}-row, ${clients} in flight, batching ${batching}, ${GENERATOR_NAMES[generator]}, TF gRPC on ${grpcChannels[0]} connection${grpcChannels[0] === 1 ? '' : 's'}: ` +
      `TF gRPC rows/s ≥ TF REST rows/s: ${passed ? 'PASS' : 'FAIL'} (${fixed(criterion.numerator, 0)} vs ${fixed(criterion.denominator, 0)}, ${criterion.value.toFixed(2)}x)`;
  }
  const text = [`${GENERATOR_NAMES[generator]}, batching ${batching}, ${clients} in flight`, '', formatTable(all, clients), '', ...shown].join('\n');
  return { text, acceptance, passed };
}

/** Loads whose runs had errors or a wrong first answer, with the first error of each, for the report's end. */
export function problems(runs: readonly ProtocolRun[]): string[] {
  return runs.flatMap((r) => {
    const where = `${r.generator} generator, batching ${r.batching}, ${r.result.protocol}${isGrpc(r.result.protocol) ? ` (${r.grpcChannels} conn)` : ''}, ${r.result.rows} rows, repeat ${r.repeat}`;
    const lines: string[] = [];
    if (r.result.validationError !== undefined) lines.push(`${where}: wrong answer: ${r.result.validationError}`);
    const kinds = Object.entries(r.result.errorKinds);
    if (kinds.length > 0) lines.push(`${where}: errors ${kinds.map(([k, n]) => `${k} ×${n}`).join(', ')}; first: ${r.result.firstError ?? '?'}`);
    return lines;
  });
}
