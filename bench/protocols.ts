/**
 * Protocols bench: the same model on the same millrace server, loaded through TF Serving REST, TF Serving gRPC,
 * Open Inference Protocol (v2) REST (JSON and binary tensors) and v2 gRPC by one closed-loop load client design,
 * so the protocols' costs can be compared. Ends with the acceptance line: TF gRPC rows/s ≥ TF REST rows/s at 32 rows.
 *
 *   npm run bench:protocols
 *   npm run bench:protocols -- --duration 8 --repeat 3 --clients 64 --rows 1,32 --batching both
 * `--help` lists every flag. The tables go to stdout, progress to stderr. See bench/protocols.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from './flags.js';
import { describeMachine } from './machine.js';
import { writeMlpRepository } from './mlp-fixture.js';
import { isGrpc, PROTOCOL_DESCRIPTIONS, type Protocol } from './protocol-clients/protocol.js';
import { runCLoad } from './protocol-clients/c-load.js';
import type { LoadClientResult } from './protocol-clients/load-client-messages.js';
import { parseProtocolsOptions, protocolsUsage, type Generator, type ProtocolsOptions } from './protocol-clients/protocols-options.js';
import { formatMode, GENERATOR_NAMES, problems, type ProtocolRun } from './protocol-clients/protocols-report.js';
import { HOST, startProtocolsServer, type ProtocolsServer } from './protocol-clients/protocols-server.js';
import { runLoadClient } from './protocol-clients/run-load-client.js';

const progress = (message: string) => process.stderr.write(`${message}\n`);

interface Load {
  readonly generator: Generator;
  readonly protocol: Protocol;
  readonly grpcChannels: number | undefined;
}

/** Every protocol once per generator, gRPC ones once per connection count. */
function loads(opts: ProtocolsOptions): Load[] {
  return opts.generators.flatMap((generator) =>
    opts.protocols.flatMap((protocol): Load[] =>
      isGrpc(protocol)
        ? opts.grpcChannels.map((grpcChannels) => ({ generator, protocol, grpcChannels }))
        : [{ generator, protocol, grpcChannels: undefined }],
    ),
  );
}

function runLoad(opts: ProtocolsOptions, server: ProtocolsServer, load: Load, rows: number, workDir: string): Promise<LoadClientResult> {
  const common = {
    protocol: load.protocol,
    rows,
    clients: opts.clients,
    grpcChannels: load.grpcChannels ?? 1,
    host: HOST,
    restPort: server.restPort,
    grpcPort: server.grpcPort,
    warmupMs: opts.warmupSeconds * 1000,
    durationMs: opts.durationSeconds * 1000,
    timeoutMs: opts.timeoutSeconds * 1000,
    serverPid: server.server.pid,
    metricsUrl: server.metricsUrl,
  };
  return load.generator === 'c'
    ? runCLoad({ ...common, workDir, restBaseUrl: server.restBaseUrl, threads: opts.generatorThreads })
    : runLoadClient({ ...common, grpcClient: opts.grpcClient });
}

// Each repeat starts the protocol order one place later, so no protocol always runs first or right after another.
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function measureMode(opts: ProtocolsOptions, server: ProtocolsServer, batching: 'on' | 'off', runs: ProtocolRun[], workDir: string): Promise<void> {
  const all = loads(opts);
  for (let repeat = 1; repeat <= opts.repeat; repeat++) {
    for (const rows of opts.rows) {
      for (const load of rotated(all, repeat - 1)) {
        if (!server.server.isRunning()) throw new Error(`the server exited:\n${server.server.outputTail()}`);
        const result = await runLoad(opts, server, load, rows, workDir);
        runs.push({ generator: load.generator, batching, grpcChannels: load.grpcChannels, repeat, result });
        const conn = load.grpcChannels === undefined ? '' : ` ${load.grpcChannels} conn`;
        const flags = `${result.errors > 0 ? `, ${result.errors} ERRORS (${result.firstError ?? ''})` : ''}${result.validationError === undefined ? '' : `, WRONG ANSWER: ${result.validationError}`}`;
        progress(
          `batching ${batching} run ${repeat}/${opts.repeat} ${load.generator} ${load.protocol}${conn} rows=${rows}: ${result.requestsPerSecond.toFixed(0)} req/s, ` +
            `${result.rowsPerSecond.toFixed(0)} rows/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms${flags}`,
        );
      }
    }
  }
}

async function main(): Promise<number> {
  let options: ProtocolsOptions | null;
  try {
    options = parseProtocolsOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`bench: ${err.message}\n\n${protocolsUsage()}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(protocolsUsage());
    return 0;
  }
  const opts = options;
  const machine = describeMachine('not used');
  const repository = await writeMlpRepository();
  const workDir = await mkdtemp(join(tmpdir(), 'millrace-protocols-'));
  let running: ProtocolsServer | undefined;
  // Ctrl-C mid-run still stops the server and removes the temporary repository.
  process.once('SIGINT', () => {
    void Promise.resolve(running?.server.stop()).finally(() => repository.dispose().finally(() => process.exit(130)));
  });
  const runs: ProtocolRun[] = [];
  try {
    for (const batching of opts.batching) {
      progress(`starting millrace serve, batching ${batching}`);
      running = await startProtocolsServer(repository, batching === 'on');
      try {
        await measureMode(opts, running, batching, runs, workDir);
      } finally {
        await running.server.stop();
        running = undefined;
      }
    }
  } finally {
    await repository.dispose();
    await rm(workDir, { recursive: true, force: true });
  }

  const out: string[] = [
    `${machine.date}  ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, load average ${machine.loadAverage.toFixed(2)} at start`,
    `model: mlp 16→256→256→1 float32; ${opts.clients} calls in flight, closed loop; ${opts.warmupSeconds} s warm-up + ${opts.durationSeconds} s measured; ` +
      `medians of ${opts.repeat} run${opts.repeat === 1 ? '' : 's'}; conns = gRPC connections, or REST keep-alive sockets; cpu in cores`,
    `generators: ${opts.generators.map((g) => GENERATOR_NAMES[g]).join('; ')}`,
    ...opts.protocols.map((p) => `  ${p.padEnd(15)} ${PROTOCOL_DESCRIPTIONS[p]}`),
    '',
  ];
  const acceptance: string[] = [];
  let passed = true;
  // Every generator gets its tables; the first one's ratios decide the acceptance lines.
  opts.generators.forEach((generator, index) => {
    for (const batching of opts.batching) {
      const report = formatMode(generator, batching, runs, opts.protocols, opts.grpcChannels, opts.clients);
      out.push(report.text, '');
      if (index > 0) continue;
      if (report.acceptance !== undefined) acceptance.push(report.acceptance);
      passed &&= report.passed;
    }
  });
  const trouble = problems(runs);
  if (trouble.length > 0) out.push('Errors and wrong answers:', ...trouble.map((t) => `  ${t}`), '');
  out.push(...(acceptance.length > 0 ? acceptance : ['acceptance: not measured (needs --rows with 32 and both tf-rest and tf-grpc)']));
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json !== '') await writeFile(opts.json, `${JSON.stringify({ machine, options: opts, runs, acceptance }, null, 2)}\n`);
  return passed && trouble.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
