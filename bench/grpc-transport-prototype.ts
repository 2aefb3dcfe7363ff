/**
 * Prototype, bench only: what a unary gRPC call costs the server on grpc-js versus a minimal handler written
 * directly on node:http2, with the same Predict handler, codecs, Predictor and metrics behind both, next to the
 * TF REST path, all in this one server process. wrk (REST) and h2load (gRPC) load it in turn; the server's CPU
 * time per call says what each transport costs.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json && flock /tmp/millrace-bench.lock node dist/bench/bench/grpc-transport-prototype.js \
 *     [--batching off|on] [--rows 32] [--duration 6] [--repeat 3] [--connections 1]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import { pathToFileURL } from 'node:url';
import { freePort } from '../test/support/free-port.js';
import { PROJECT_ROOT } from './paths.js';
import { median } from './quantiles.js';
import { MODEL_NAME, writeMlpRepository } from './mlp-fixture.js';
import { runMeasuringCpu } from './protocol-clients/child-cpu.js';
import { runH2load } from './protocol-clients/h2load.js';
import { prepareRequest } from './protocol-clients/requests.js';
import { batchingFlags, PROMETHEUS_PATH } from './targets/millrace-config-files.js';
import { parseWrkOutput } from './wrk-output.js';

// The built server (`npm run build`), as `millrace serve` runs it: it finds its protos beside dist/.
const built = <T>(path: string): Promise<T> => import(pathToFileURL(join(PROJECT_ROOT, 'dist', path)).href) as Promise<T>;
const { startModelServer } = await built<typeof import('../src/api/model-server.js')>('api/model-server.js');
const { tfPredictionService } = await built<typeof import('../src/api/grpc/tf-prediction-service.js')>('api/grpc/tf-prediction-service.js');
const { ModelStatistics } = await built<typeof import('../src/api/v2/model-statistics.js')>('api/v2/model-statistics.js');
const { servedVersionResolver, StatisticsPredictor } = await built<typeof import('../src/api/v2/statistics-hooks.js')>('api/v2/statistics-hooks.js');
const { createLogger } = await built<typeof import('../src/logging/logger.js')>('logging/logger.js');

const HOST = '127.0.0.1';
const CLIENTS = 64;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

type PredictHandler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

/** gRPC unary calls on node:http2 with nothing but the framing: a length-prefixed message each way, status in trailers. */
function minimalGrpcServer(path: string, handler: PredictHandler, decode: (b: Buffer) => unknown, encode: (v: unknown) => Buffer): Http2Server {
  const server = createServer({ settings: { initialWindowSize: 1 << 20 } });
  server.on('session', (session) => session.once('connect', () => session.setLocalWindowSize(16 << 20)));
  const fail = (stream: ServerHttp2Stream, code: number, message: string): void => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeURI(message) }, { endStream: true });
  };
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (headers[':path'] !== path) {
      fail(stream, 12, `unknown method ${String(headers[':path'])}`);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const call = { request: decode(body.subarray(5)), cancelled: false, getDeadline: () => Infinity, once: () => call } as unknown as ServerUnaryCall<unknown, unknown>;
      handler(call, (err: Partial<ServiceError> | null, value?: unknown) => {
        if (stream.destroyed) return;
        if (err) {
          fail(stream, err.code ?? 2, err.details ?? '');
          return;
        }
        const message = encode(value);
        const framed = Buffer.allocUnsafe(5 + message.length);
        framed[0] = 0;
        framed.writeUInt32BE(message.length, 1);
        message.copy(framed, 5);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
        stream.end(framed);
      });
    });
  });
  return server;
}

async function main(): Promise<void> {
  const batching = flag('batching', 'off') === 'on';
  const rows = Number(flag('rows', '32'));
  const duration = Number(flag('duration', '6'));
  const repeat = Number(flag('repeat', '3'));
  const connections = Number(flag('connections', '1'));
  const repository = await writeMlpRepository();
  const work = await mkdtemp(join(tmpdir(), 'millrace-grpc-prototype-'));
  const monitoring = join(work, 'monitoring.txt');
  await writeFile(monitoring, `prometheus_config { enable: true path: "${PROMETHEUS_PATH}" }\n`);
  const batchingFile = batching
    ? (await batchingFlags(work, 'prototype', { maxBatchSize: 256, batchTimeoutMicros: 0, maxEnqueuedBatches: 1000, numBatchThreads: 1 }))[1]?.split('=')[1]
    : undefined;
  const logger = createLogger({ minLevel: 'warn' });
  const running = await startModelServer(
    {
      models: { name: MODEL_NAME, basePath: repository.basePath },
      restPort: await freePort(),
      restHost: HOST,
      restTimeoutMs: 30_000,
      maxBodyBytes: 64 << 20,
      enableCors: false,
      configPollSeconds: 0,
      fileSystemPollSeconds: 0,
      allowLabelsForUnavailableModels: false,
      maxLoadRetries: 0,
      loadRetryIntervalMs: 0,
      runtime: { intraOpParallelism: 0, interOpParallelism: 0 },
      enableBatching: batching,
      batchingParametersFile: batchingFile,
      monitoringConfigFile: monitoring,
      grpc: { port: await freePort(), host: HOST, enableHealthCheck: false, serializeAsTensorContent: false },
    },
    logger,
  );
  // The same Predict implementation grpc-js runs, over the same kind of statistics-counting Predictor.
  const served = new StatisticsPredictor(running.predictor, new ModelStatistics(), servedVersionResolver(running.manager));
  const prediction = tfPredictionService(served, { tensorEncoding: 'typed_fields', metrics: running.metrics }, logger);
  const predict = prediction.definition.Predict;
  if (predict === undefined) throw new Error('no Predict method');
  const minimal = minimalGrpcServer(
    predict.path,
    prediction.implementation.Predict as PredictHandler,
    (b) => predict.requestDeserialize(b),
    (v) => predict.responseSerialize(v),
  );
  const minimalPort = await freePort();
  await new Promise<void>((resolve) => minimal.listen(minimalPort, HOST, resolve));

  const grpcBody = prepareRequest('tf-grpc', rows).body;
  const framed = Buffer.alloc(5 + grpcBody.length);
  framed.writeUInt32BE(grpcBody.length, 1);
  grpcBody.copy(framed, 5);
  await writeFile(join(work, 'grpc.bin'), framed);
  const rest = prepareRequest('tf-rest', rows);
  await writeFile(join(work, 'rest.json'), rest.body);
  const script = join(work, 'post.lua');
  await writeFile(script, `local f = assert(io.open("${join(work, 'rest.json')}", "rb"))\nwrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/json"\n`);

  const loads: Record<string, (seconds: number) => Promise<number>> = {
    'tf-rest (node:http, wrk)': async (seconds) => {
      const run = await runMeasuringCpu('wrk', ['-t1', `-c${CLIENTS}`, `-d${seconds}s`, '--latency', '-s', script, `http://${HOST}:${running.restPort}${rest.path}`]);
      const wrk = parseWrkOutput(run.stdout);
      if (wrk.non2xx + wrk.socketErrors > 0) throw new Error(`wrk saw ${wrk.non2xx + wrk.socketErrors} failures`);
      return wrk.requests;
    },
    ...Object.fromEntries(
      [
        ['tf-grpc (grpc-js, h2load)', running.grpcPort],
        ['tf-grpc (minimal node:http2, h2load)', minimalPort],
      ].map(([name, port]) => [
        name,
        async (seconds: number) => {
          const h2 = await runH2load({
            url: `http://${HOST}:${port}${predict.path}`,
            bodyFile: join(work, 'grpc.bin'),
            headers: { 'content-type': 'application/grpc', te: 'trailers' },
            connections,
            streamsPerConnection: CLIENTS / connections,
            threads: 1,
            length: { seconds },
            logFile: join(work, 'h2load.log'),
          });
          if (h2.failed + h2.non2xx > 0) throw new Error(`h2load saw ${h2.failed + h2.non2xx} failures`);
          return h2.succeeded;
        },
      ]),
    ),
  };
  const results: Record<string, Array<{ rate: number; micros: number }>> = {};
  for (let r = 0; r < repeat; r++) {
    for (const [name, load] of Object.entries(loads)) {
      await load(1);
      const cpu = process.cpuUsage();
      const started = performance.now();
      const calls = await load(duration);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      (results[name] ??= []).push({ rate: calls / seconds, micros: (used.user + used.system) / calls });
      process.stderr.write(`${name}: ${(calls / seconds).toFixed(0)} calls/s, ${((used.user + used.system) / calls).toFixed(0)} µs server CPU per call\n`);
    }
  }
  process.stdout.write(`batching ${batching ? 'on' : 'off'}, ${rows} rows, ${CLIENTS} in flight, gRPC on ${connections} connection(s), medians of ${repeat}\n`);
  for (const [name, runs] of Object.entries(results)) {
    process.stdout.write(
      `  ${name.padEnd(38)} ${median(runs.map((x) => x.rate)).toFixed(0).padStart(6)} calls/s  ${median(runs.map((x) => x.micros)).toFixed(0).padStart(4)} µs server CPU/call\n`,
    );
  }
  minimal.close();
  await running.close();
  await rm(work, { recursive: true, force: true });
  await repository.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`prototype: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // The in-process server would keep the process (and the bench lock) alive.
  process.exit(1);
});
