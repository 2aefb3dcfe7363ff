// Child process of the protocols bench: `node load-client.js '<LoadClientConfig JSON>'`; prints one LoadClientResult
// JSON line. The same closed loop drives every protocol; only the prepared bytes, the transport and the decoder differ.
import { readBatchCounters, type BatchCounters } from '../batch-counters.js';
import { readCpuTime } from '../cpu-time.js';
import { MODEL_NAME } from '../mlp-fixture.js';
import { percentileOfSorted } from '../quantiles.js';
import { answerChecker } from './answer-check.js';
import type { LoadClientConfig, LoadClientResult } from './load-client-messages.js';
import { openTransport } from './open-transport.js';
import { prepareRequest } from './requests.js';

const config = JSON.parse(process.argv[2] ?? '{}') as LoadClientConfig;

const checkReply = answerChecker(config.protocol, config.rows);

interface Sample {
  readonly at: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly serverCpuSeconds: number | undefined;
  readonly serverWaitSeconds: number | undefined;
  readonly batches: BatchCounters | undefined;
}

async function sample(): Promise<Sample> {
  const [server, batches] = await Promise.all([
    readCpuTime(config.serverPid),
    config.metricsUrl === undefined ? undefined : readBatchCounters(config.metricsUrl, MODEL_NAME).catch(() => undefined),
  ]);
  return { at: performance.now(), cpu: process.cpuUsage(), serverCpuSeconds: server?.runSeconds, serverWaitSeconds: server?.waitSeconds, batches };
}

async function main(): Promise<LoadClientResult> {
  const transport = openTransport(config, prepareRequest(config.protocol, config.rows));
  await transport.ready();

  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let firstError: string | undefined;
  let validationError: string | undefined;
  let checked = false;
  let okResponses = 0;
  let errors = 0;
  // The window opens and closes when its samples are taken, so a late timer shifts it rather than skewing it.
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;

  const startSample = new Promise<Sample>((resolve) => setTimeout(() => resolve(sample().then((s) => ((windowStart = s.at), s))), config.warmupMs));
  const endSample = startSample.then(
    () => new Promise<Sample>((resolve) => setTimeout(() => resolve(sample().then((s) => ((windowEnd = s.at), s))), config.durationMs)),
  );
  let stopped = false;
  void endSample.then(() => (stopped = true));

  const fail = (kind: string, detail: string, done: number): void => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    firstError ??= `${kind}: ${detail}`;
    if (done >= windowStart && done < windowEnd) errors++;
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      const sent = performance.now();
      const reply = await transport.call();
      const done = performance.now();
      if (!reply.ok) {
        fail(reply.kind, reply.detail, done);
        continue;
      }
      // Only the first answer has every value compared; the rest must hold the right number of them.
      const wrong = checkReply(reply, !checked);
      if (!checked) validationError = wrong;
      checked = true;
      if (wrong !== undefined) {
        fail('wrong body', wrong, done);
        continue;
      }
      if (done >= windowStart && done < windowEnd) {
        okResponses++;
        latencies.push(done - sent);
      }
    }
  };
  await Promise.all(Array.from({ length: config.clients }, loop));
  transport.close();

  const [first, last] = await Promise.all([startSample, endSample]);
  const seconds = (last.at - first.at) / 1000;
  const clientCpuSeconds = (last.cpu.user - first.cpu.user + last.cpu.system - first.cpu.system) / 1e6;
  const batches = first.batches !== undefined && last.batches !== undefined ? last.batches.batches - first.batches.batches : 0;
  latencies.sort((a, b) => a - b);
  return {
    protocol: config.protocol,
    rows: config.rows,
    okResponses,
    requestsPerSecond: okResponses / seconds,
    rowsPerSecond: (okResponses * config.rows) / seconds,
    p50Ms: percentileOfSorted(latencies, 0.5),
    p99Ms: percentileOfSorted(latencies, 0.99),
    errors,
    errorKinds,
    firstError,
    validationError: checked ? validationError : 'no successful answer to check',
    measuredSeconds: seconds,
    clientCpuCores: clientCpuSeconds / seconds,
    serverCpuCores:
      first.serverCpuSeconds !== undefined && last.serverCpuSeconds !== undefined ? (last.serverCpuSeconds - first.serverCpuSeconds) / seconds : undefined,
    serverWaitCores:
      first.serverWaitSeconds !== undefined && last.serverWaitSeconds !== undefined
        ? (last.serverWaitSeconds - first.serverWaitSeconds) / seconds
        : undefined,
    meanBatchSize: batches > 0 && first.batches !== undefined && last.batches !== undefined ? (last.batches.rows - first.batches.rows) / batches : undefined,
  };
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`load client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
