// The gRPC load generator: h2load POSTing one length-prefixed gRPC message over multiplexed HTTP/2 streams.
// h2load knows HTTP statuses, not gRPC ones (a failed gRPC call still answers HTTP 200), so the caller checks the
// server's own success and failure counters over the run.
import { readFile } from 'node:fs/promises';
import { percentileOfSorted } from '../quantiles.js';
import { runMeasuringCpu } from './child-cpu.js';

export interface H2loadLoad {
  readonly url: string;
  /** The request body file: the 5-byte gRPC prefix and the message. */
  readonly bodyFile: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  /** Concurrent streams per connection (`-m`). */
  readonly streamsPerConnection: number;
  readonly threads: number;
  /** A timed run (`-D`), which drops the calls in flight at its end, or a fixed number of calls (`-n`) run to the end. */
  readonly length: { readonly seconds: number } | { readonly requests: number };
  /** Per-request log (start µs, HTTP status, latency µs) for the latency percentiles. */
  readonly logFile: string;
}

export interface H2loadResult {
  /** Requests answered within the duration. */
  readonly done: number;
  /** Answered with HTTP 2xx or 3xx. */
  readonly succeeded: number;
  /** Started but not done when the duration ended, plus failures. */
  readonly started: number;
  /** failed + errored + timeout, as h2load counts them. */
  readonly failed: number;
  readonly non2xx: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuSeconds: number;
}

function field(output: string, pattern: RegExp, what: string): number {
  const match = pattern.exec(output);
  if (match?.[1] === undefined) throw new Error(`h2load output has no ${what}:\n${output}`);
  return Number(match[1]);
}

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, ms: 1e-3, us: 1e-6 };

function finishedSeconds(output: string): number {
  const match = /finished in ([\d.]+)(s|ms|us),/.exec(output);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`h2load output has no duration:\n${output}`);
  return Number(match[1]) * (SECONDS_PER_UNIT[match[2]] ?? Number.NaN);
}

/** The counts of h2load's summary (nghttp2 1.4x–1.6x). */
export function parseH2loadOutput(output: string): Omit<H2loadResult, 'p50Ms' | 'p99Ms' | 'cpuSeconds'> {
  const count = (what: string): number => field(output, new RegExp(`(\\d+) ${what}[,\\s]`), `"${what}" count`);
  return {
    done: count('done'),
    succeeded: count('succeeded'),
    started: count('started'),
    failed: count('failed') + count('errored') + count('timeout'),
    non2xx: count('3xx') + count('4xx') + count('5xx'),
    seconds: finishedSeconds(output),
    requestsPerSecond: field(output, /finished in [\d.]+[mu]?s, ([\d.]+) req\/s/, 'req/s'),
  };
}

export async function runH2load(load: H2loadLoad): Promise<H2loadResult> {
  const args = [
    ...('seconds' in load.length ? ['-D', String(load.length.seconds)] : ['-n', String(load.length.requests)]),
    '-c',
    String(load.connections),
    '-m',
    String(load.streamsPerConnection),
    '-t',
    String(Math.max(1, Math.min(load.threads, load.connections))),
    '-d',
    load.bodyFile,
    `--log-file=${load.logFile}`,
    ...Object.entries(load.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    load.url,
  ];
  const run = await runMeasuringCpu('h2load', args);
  const counts = parseH2loadOutput(run.stdout);
  const latencies = (await readFile(load.logFile, 'utf8'))
    .split('\n')
    .flatMap((line) => {
      const micros = Number(line.split('\t')[2]);
      return line === '' || !Number.isFinite(micros) ? [] : [micros / 1000];
    })
    .sort((a, b) => a - b);
  return { ...counts, p50Ms: percentileOfSorted(latencies, 0.5), p99Ms: percentileOfSorted(latencies, 0.99), cpuSeconds: run.cpuSeconds };
}
