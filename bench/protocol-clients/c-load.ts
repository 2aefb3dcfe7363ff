// One load from a C generator: wrk for the REST protocols (one keep-alive connection per client), h2load for the
// gRPC ones (HTTP/2 streams multiplexed over a few connections). They cost little CPU per call, so on a machine
// whose cores the client and the server share, the numbers show the server's cost rather than a client library's.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBatchCounters, type BatchCounters } from '../batch-counters.js';
import { readCpuTime, type CpuTime } from '../cpu-time.js';
import { MODEL_NAME } from '../mlp-fixture.js';
import { parseWrkOutput } from '../wrk-output.js';
import { answerChecker } from './answer-check.js';
import { runMeasuringCpu } from './child-cpu.js';
import { runH2load } from './h2load.js';
import type { LoadClientConfig, LoadClientResult } from './load-client-messages.js';
import { openTransport } from './open-transport.js';
import { isGrpc } from './protocol.js';
import { prepareRequest, type PreparedRequest } from './requests.js';
import { readServedCounts, sameCounts, servedDelta, servedProblem, type ServedCounts } from './served-counts.js';

export interface CLoadConfig extends Omit<LoadClientConfig, 'metricsUrl' | 'grpcClient'> {
  /** Where the request body, the wrk script and the h2load log go. */
  readonly workDir: string;
  readonly restBaseUrl: string;
  /** The server's Prometheus page: request_count, and the batch size when it batches. */
  readonly metricsUrl: string;
  /** wrk / h2load threads (at most one per connection). */
  readonly threads: number;
}

interface Measured {
  readonly answered: number;
  readonly requestsPerSecond: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Failures the generator itself saw: socket errors, timeouts, non-2xx statuses. */
  readonly generatorErrors: number;
  readonly cpuSeconds: number;
}

/** How long to run: the warm-up asks for seconds; a measured run may ask for a number of calls instead. */
interface RunLength {
  readonly seconds: number;
  /** The warm-up's rate, to size a fixed-count run to about `seconds`. */
  readonly expectedRequestsPerSecond?: number;
}

/** The gRPC message as it travels: 1 byte "not compressed", 4 bytes big-endian length, the message. */
function lengthPrefixed(body: Buffer): Buffer {
  const framed = Buffer.alloc(5 + body.length);
  framed.writeUInt32BE(body.length, 1);
  body.copy(framed, 5);
  return framed;
}

// The body stays in its own file, read in binary, so no Lua quoting is needed and binary tensors survive.
async function wrkScript(dir: string, prepared: PreparedRequest): Promise<string> {
  const bodyFile = join(dir, 'rest-body.bin');
  const script = join(dir, 'rest-post.lua');
  await writeFile(bodyFile, prepared.body);
  const headers = Object.entries(prepared.headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  await writeFile(
    script,
    [`local file = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))`, 'wrk.method = "POST"', 'wrk.body = file:read("*a")', 'file:close()', ...headers, ''].join('\n'),
  );
  return script;
}

interface Generator {
  run(length: RunLength): Promise<Measured>;
  /** Calls it may leave unanswered when it stops: the server counts them CANCELLED. */
  readonly abandonable: number;
}

async function wrkGenerator(config: CLoadConfig, prepared: PreparedRequest): Promise<Generator> {
  const script = await wrkScript(config.workDir, prepared);
  const url = `http://${config.host}:${config.restPort}${prepared.path}`;
  const run = async ({ seconds }: RunLength): Promise<Measured> => {
    const threads = Math.max(1, Math.min(config.threads, config.clients));
    const args = [`-t${threads}`, `-c${config.clients}`, `-d${seconds}s`, '--timeout', `${config.timeoutMs / 1000}s`, '--latency', '-s', script, url];
    const child = await runMeasuringCpu('wrk', args);
    const wrk = parseWrkOutput(child.stdout);
    return {
      answered: wrk.requests - wrk.non2xx,
      requestsPerSecond: ((wrk.requests - wrk.non2xx) / wrk.requests) * wrk.requestsPerSecond || 0,
      seconds: wrk.durationSeconds,
      p50Ms: wrk.p50Ms,
      p99Ms: wrk.p99Ms,
      generatorErrors: wrk.non2xx + wrk.socketErrors,
      cpuSeconds: child.cpuSeconds,
    };
  };
  // wrk stops on the clock and closes its connections with calls in flight.
  return { run, abandonable: config.clients };
}

async function h2loadGenerator(config: CLoadConfig, prepared: PreparedRequest): Promise<Generator> {
  if (config.clients % config.grpcChannels !== 0) {
    throw new Error(`--clients ${config.clients} is not a multiple of ${config.grpcChannels} gRPC connections (h2load opens the same number of streams on each)`);
  }
  const bodyFile = join(config.workDir, 'grpc-body.bin');
  await writeFile(bodyFile, lengthPrefixed(prepared.body));
  const run = async ({ seconds, expectedRequestsPerSecond }: RunLength): Promise<Measured> => {
    // With a rate to go by, a fixed number of calls: every call started is answered, so the server counts no
    // cancellations and any failure it counts is a real one.
    const length = expectedRequestsPerSecond === undefined ? { seconds } : { requests: Math.max(config.clients * 10, Math.round(expectedRequestsPerSecond * seconds)) };
    const h2 = await runH2load({
      url: `http://${config.host}:${config.grpcPort}${prepared.path}`,
      bodyFile,
      headers: { 'content-type': 'application/grpc', te: 'trailers' },
      connections: config.grpcChannels,
      streamsPerConnection: config.clients / config.grpcChannels,
      threads: config.threads,
      length,
      logFile: join(config.workDir, 'h2load.log'),
    });
    return {
      answered: h2.succeeded,
      requestsPerSecond: h2.requestsPerSecond,
      seconds: h2.seconds,
      p50Ms: h2.p50Ms,
      p99Ms: h2.p99Ms,
      generatorErrors: h2.failed + h2.non2xx,
      cpuSeconds: h2.cpuSeconds,
    };
  };
  return { run, abandonable: 0 };
}

/** One call through the Node transport, checked value by value: the generators only see statuses. */
async function firstAnswerProblem(config: CLoadConfig, prepared: PreparedRequest): Promise<string | undefined> {
  const transport = openTransport({ ...config, clients: 1, grpcChannels: 1, grpcClient: 'http2' }, prepared);
  try {
    await transport.ready();
    const reply = await transport.call();
    if (!reply.ok) return `${reply.kind}: ${reply.detail}`;
    return answerChecker(config.protocol, config.rows)(reply, true);
  } finally {
    transport.close();
  }
}

const SETTLE_POLL_MS = 100;
const SETTLE_LIMIT_MS = 5000;

// Calls in flight when a generator stops still finish on the server; read the counters once they stop moving.
async function settledCounts(config: CLoadConfig): Promise<ServedCounts> {
  let last = await readServedCounts(config.restBaseUrl, config.metricsUrl);
  for (let waited = 0; waited < SETTLE_LIMIT_MS; waited += SETTLE_POLL_MS) {
    await sleep(SETTLE_POLL_MS);
    const now = await readServedCounts(config.restBaseUrl, config.metricsUrl);
    if (sameCounts(now, last)) return now;
    last = now;
  }
  return last;
}

const delta = (before: CpuTime | undefined, after: CpuTime | undefined, pick: (t: CpuTime) => number): number | undefined =>
  before === undefined || after === undefined ? undefined : pick(after) - pick(before);

export async function runCLoad(config: CLoadConfig): Promise<LoadClientResult> {
  const prepared = prepareRequest(config.protocol, config.rows);
  const validationError = await firstAnswerProblem(config, prepared);
  const generator = isGrpc(config.protocol) ? await h2loadGenerator(config, prepared) : await wrkGenerator(config, prepared);
  const warmup = await generator.run({ seconds: Math.max(1, Math.round(config.warmupMs / 1000)) });

  const countsBefore = await settledCounts(config);
  const batchesBefore: BatchCounters | undefined = await readBatchCounters(config.metricsUrl, MODEL_NAME).catch(() => undefined);
  const cpuBefore = await readCpuTime(config.serverPid);
  const measured = await generator.run({ seconds: Math.max(1, Math.round(config.durationMs / 1000)), expectedRequestsPerSecond: warmup.requestsPerSecond });
  const cpuAfter = await readCpuTime(config.serverPid);
  const countsAfter = await settledCounts(config);
  const batchesAfter: BatchCounters | undefined = await readBatchCounters(config.metricsUrl, MODEL_NAME).catch(() => undefined);

  const served = servedDelta(countsBefore, countsAfter);
  const serverProblem = servedProblem(served, measured.answered, generator.abandonable);
  const errorKinds: Record<string, number> = {};
  if (measured.generatorErrors > 0) errorKinds[isGrpc(config.protocol) ? 'h2load failures' : 'wrk failures'] = measured.generatorErrors;
  // Counted once per load: the server's counters cannot say which calls of the window failed.
  if (serverProblem !== undefined) errorKinds['server counters'] = 1;
  const errors = measured.generatorErrors + (serverProblem === undefined ? 0 : 1);
  const firstError = serverProblem ?? (measured.generatorErrors > 0 ? `${measured.generatorErrors} calls failed in the generator` : undefined);
  const serverCpu = delta(cpuBefore, cpuAfter, (t) => t.runSeconds);
  const serverWait = delta(cpuBefore, cpuAfter, (t) => t.waitSeconds);
  const batches = batchesBefore !== undefined && batchesAfter !== undefined ? batchesAfter.batches - batchesBefore.batches : 0;
  return {
    protocol: config.protocol,
    rows: config.rows,
    okResponses: measured.answered,
    requestsPerSecond: measured.requestsPerSecond,
    rowsPerSecond: measured.requestsPerSecond * config.rows,
    p50Ms: measured.p50Ms,
    p99Ms: measured.p99Ms,
    errors,
    errorKinds,
    firstError,
    validationError,
    measuredSeconds: measured.seconds,
    clientCpuCores: measured.cpuSeconds / measured.seconds,
    serverCpuCores: serverCpu === undefined ? undefined : serverCpu / measured.seconds,
    serverWaitCores: serverWait === undefined ? undefined : serverWait / measured.seconds,
    meanBatchSize: batches > 0 && batchesBefore !== undefined && batchesAfter !== undefined ? (batchesAfter.rows - batchesBefore.rows) / batches : undefined,
  };
}
