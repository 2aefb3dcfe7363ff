/**
 * Serving throughput bench: millrace with and without dynamic batching, against a bare node:http server (the
 * HTTP-layer ceiling), a naive onnxruntime-node server, and onnxruntime run in-process (the compute ceiling), on
 * the same machine in the same run, loaded by wrk. Ends with the batching issue's acceptance lines.
 *
 * Run (needs wrk: `apt-get install -y wrk`):
 *   npm run bench:serving                      # build, compile the bench, run the full matrix
 *   npm run bench:serving -- --quick           # smoke run: 2 s cells, conc 1 and 64, one row
 *   npm run bench:serving -- --repeat 3 --concurrency 1,64 --rows 1
 * The script compiles to dist/bench/ (git-ignored with the rest of dist/); `--help` lists every flag.
 * The table goes to stdout, progress to stderr. See bench/README.md for how to read it.
 */
import { writeFile } from 'node:fs/promises';
import { acceptanceLines, formatAcceptance } from './acceptance.js';
import { summarize, type CellResult, type RunResult } from './cell.js';
import { openComputeSession, type ComputeSession } from './compute-limit.js';
import { OptionError } from './flags.js';
import { loadServerCell } from './load-cell.js';
import { describeMachine } from './machine.js';
import { requestBody, writeMlpRepository } from './mlp-fixture.js';
import { parseOptions, servingUsage, type BenchOptions } from './options.js';
import { formatReport } from './report.js';
import { checkPredictAnswer } from './response-check.js';
import {
  BATCHING_TARGET,
  COMPUTE_LIMIT_TARGET,
  HTTP_LIMIT_TARGET,
  NAIVE_TARGET,
  TARGET_NAMES,
  TARGET_REQUIRES,
  TARGETS,
  UNBATCHED_TARGET,
} from './targets/index.js';
import type { RunningTarget, ServerSettings, Target } from './targets/target.js';
import { writePostScript, wrkVersion } from './wrk.js';

const progress = (message: string) => process.stderr.write(`${message}\n`);

interface Started {
  readonly target: Target;
  readonly running: RunningTarget;
}

function describeRun(repeat: number, opts: BenchOptions, target: string, concurrency: number, rows: number, r: RunResult): string {
  const batch = r.meanBatchSize === undefined ? '' : `, mean batch ${r.meanBatchSize.toFixed(1)}`;
  const cpu = r.serverMicrosPerRequest === undefined ? '' : `, server ${r.serverMicrosPerRequest.toFixed(1)} µs/req`;
  const errors = r.errors > 0 ? `, ${r.errors} ERRORS` : '';
  return `run ${repeat}/${opts.repeat} ${target} conc=${concurrency} rows=${rows}: ${r.requestsPerSecond.toFixed(0)} req/s, ${r.rowsPerSecond.toFixed(0)} rows/s, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms${batch}${cpu}${errors}`;
}

async function main(): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseOptions(process.argv.slice(2), process.env, TARGET_NAMES, TARGET_REQUIRES);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`bench: ${err.message}\n\n${servingUsage(TARGET_NAMES)}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(servingUsage(TARGET_NAMES));
    return 0;
  }
  const opts = options;
  const settings: ServerSettings = { intraOpThreads: opts.intraOpThreads, maxBatchSize: opts.maxBatchSize, batchThreads: opts.batchThreads };
  const machine = describeMachine(await wrkVersion());
  const repository = await writeMlpRepository();
  const started: Started[] = [];
  let compute: ComputeSession | undefined;
  const stopAll = () => Promise.all([...started.map((s) => s.running.stop()), compute?.release()]);
  // Ctrl-C mid-run still stops the servers and removes the temporary repository.
  process.once('SIGINT', () => {
    void stopAll().finally(() => repository.dispose().finally(() => process.exit(130)));
  });
  try {
    const scripts = new Map<number, string>();
    for (const rows of opts.rows) scripts.set(rows, await writePostScript(repository.root, `predict-${rows}-rows`, requestBody(rows)));

    for (const target of TARGETS.filter((t) => opts.targets.includes(t.name))) {
      progress(`starting ${target.name}: ${target.description}`);
      const running = await target.start(repository, settings);
      started.push({ target, running });
      for (const rows of opts.rows) await checkPredictAnswer(target, running.predictUrl, rows);
    }
    if (opts.targets.includes(COMPUTE_LIMIT_TARGET)) compute = await openComputeSession(repository.modelFile, opts.intraOpThreads);

    const cells = new Map<string, { target: string; concurrency: number; rows: number; runs: RunResult[] }>();
    const record = (target: string, concurrency: number, rows: number, result: RunResult): void => {
      const key = `${target}/${rows}/${concurrency}`;
      const cell = cells.get(key) ?? { target, concurrency, rows, runs: [] };
      cell.runs.push(result);
      cells.set(key, cell);
    };
    // Repeats go round every target before the next repeat, so slow drift on the machine hits all targets alike.
    for (let repeat = 1; repeat <= opts.repeat; repeat++) {
      const batchSizes = new Map<string, number>();
      for (const { target, running } of started) {
        for (const rows of opts.rows) {
          for (const concurrency of opts.concurrency) {
            const result = await loadServerCell(running, {
              url: running.predictUrl,
              script: scripts.get(rows) ?? '',
              connections: concurrency,
              maxThreads: opts.wrkThreads,
              timeoutSeconds: opts.timeoutSeconds,
              rows,
              warmupSeconds: opts.warmupSeconds,
              durationSeconds: opts.durationSeconds,
            });
            record(target.name, concurrency, rows, result);
            if (target.name === BATCHING_TARGET && result.meanBatchSize !== undefined) batchSizes.set(`${rows}/${concurrency}`, result.meanBatchSize);
            progress(describeRun(repeat, opts, target.name, concurrency, rows, result));
          }
        }
      }
      // Servers are idle now, so the in-process runs have the machine to themselves, as each server had.
      if (compute !== undefined) {
        for (const rows of opts.rows) {
          for (const concurrency of opts.concurrency) {
            // No batch ran (a broken server): fall back to one request per model run.
            const batch = batchSizes.get(`${rows}/${concurrency}`) ?? rows;
            const result = await compute.measure(batch, rows, opts.computeSeconds);
            record(COMPUTE_LIMIT_TARGET, concurrency, rows, result);
            progress(describeRun(repeat, opts, COMPUTE_LIMIT_TARGET, concurrency, rows, result));
          }
        }
      }
    }

    const results: CellResult[] = [...cells.values()];
    const summaries = results.map(summarize);
    const servers =
      `millrace targets with --tensorflow_intra_op_parallelism=${opts.intraOpThreads}; ${BATCHING_TARGET}: max_batch_size ${opts.maxBatchSize}, ` +
      `batch_timeout_micros 0, num_batch_threads ${opts.batchThreads}`;
    process.stdout.write(
      formatReport(summaries, {
        machine,
        options: opts,
        baselines: { httpLimit: HTTP_LIMIT_TARGET, naive: NAIVE_TARGET, computeLimit: COMPUTE_LIMIT_TARGET },
        targetOrder: TARGET_NAMES,
        servers,
      }),
    );
    const acceptance = acceptanceLines(summaries, { batching: BATCHING_TARGET, unbatched: UNBATCHED_TARGET, httpLimit: HTTP_LIMIT_TARGET, naive: NAIVE_TARGET });
    process.stdout.write(`${formatAcceptance(acceptance)}\n`);
    if (opts.jsonFile !== '') {
      await writeFile(opts.jsonFile, `${JSON.stringify({ machine, options: opts, cells: results, acceptance }, null, 2)}\n`);
      progress(`wrote ${opts.jsonFile}`);
    }
    const failed = summaries.some((s) => s.errors > 0) || acceptance.some((a) => a.verdict === 'FAIL');
    return failed ? 1 : 0;
  } finally {
    await stopAll();
    await repository.dispose();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
