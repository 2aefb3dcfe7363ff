// `millrace predict` against a hand-written hyparquet + onnxruntime loop on flights-3m (3 million rows), each a
// child process in the same run: rows/s, peak RSS, and RSS at 300k rows against 3M. See bench/flights.md.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runChild, type ChildRun } from './child-measure.js';
import { deriveModelInput, FLIGHTS_KEY, FLIGHTS_MODEL_DIR, FLIGHTS_MODEL_VERSION } from './flights-data.js';
import { OptionError, parseFlags, positiveInt, usage, type FlagSpec } from './flags.js';
import { MILLRACE_CLI } from './paths.js';
import { formatSummaries, summarize, verdict, type Measured } from './run-table.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'repeat', default: '1', help: 'runs of each contender; the table shows medians' },
  { name: 'batch-size', default: '1024', help: 'rows per session.run, for both contenders' },
  { name: 'small-rows', default: '300000', help: 'rows of the small file used to check that RSS is flat' },
  { name: 'keep', default: 'false', help: 'keep the temporary directory (derived inputs and outputs)', isSwitch: true },
];
const ENV_PREFIX = 'FLIGHTS';
const FULL_ROWS = 3_000_000;
const LOOP_SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'predict-flights-loop.js');
const MODEL_FILE = join(FLIGHTS_MODEL_DIR, String(FLIGHTS_MODEL_VERSION), 'model.onnx');

// Bars from the issue.
const MIN_RATIO = 0.8;
const MAX_RSS_MB = 500;
// "Flat": ten times the rows may cost at most this much more peak memory.
const MAX_RSS_GROWTH = 1.2;

interface Contender {
  readonly name: string;
  readonly rows: number;
  run(outDir: string): Promise<ChildRun>;
  /** Rows written, from the child's own report; undefined when it does not say. */
  predicted(run: ChildRun): number | undefined;
}

function millrace(input: string, rows: number, batchSize: number): Contender {
  return {
    name: `millrace ${label(rows)}`,
    rows,
    run: (outDir) =>
      runChild({
        command: process.execPath,
        args: [
          MILLRACE_CLI, 'predict', '--model', FLIGHTS_MODEL_DIR, '--input', input, '--output', outDir,
          '--instance_type', 'object', '--key_field', FLIGHTS_KEY, '--batch_size', String(batchSize),
        ],
      }),
    predicted: (run) => numberAfter(run.stdout, / (\d+) predicted, (\d+) failed/),
  };
}

function loop(input: string, rows: number, batchSize: number): Contender {
  return {
    name: `loop ${label(rows)}`,
    rows,
    run: (outDir) => runChild({ command: process.execPath, args: [LOOP_SCRIPT, MODEL_FILE, input, join(outDir, 'loop.jsonl'), FLIGHTS_KEY, String(batchSize)] }),
    predicted: (run) => numberAfter(run.stdout, /loop: (\d+) rows predicted/),
  };
}

function numberAfter(text: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(text);
  if (m === null || (m[2] !== undefined && m[2] !== '0')) return undefined;
  return Number(m[1]);
}

function label(rows: number): string {
  return rows % 1_000_000 === 0 ? `${rows / 1_000_000}M` : rows % 1000 === 0 ? `${rows / 1000}k` : String(rows);
}

/** key → prediction for every JSON line of the files whose key is in `keys` (all lines when `keys` is undefined, counted only). */
async function scanPredictions(files: readonly string[], keys: ReadonlySet<number> | undefined): Promise<{ lines: number; found: Map<number, number> }> {
  let lines = 0;
  const found = new Map<number, number>();
  for (const file of files) {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line === '') continue;
      lines++;
      const key = Number(/^\{"key":(\d+)/.exec(line)?.[1]);
      if (keys?.has(key) === true) found.set(key, (JSON.parse(line) as { prediction: number }).prediction);
    }
  }
  return { lines, found };
}

/** Same row count, and the same predictions (to float32 precision) at a spread of keys. */
async function checkOutputs(millraceDir: string, loopFile: string, rows: number): Promise<string[]> {
  const shards = (await readdir(millraceDir)).filter((f) => f.startsWith('prediction.results-')).sort().map((f) => join(millraceDir, f));
  const keys = new Set([0, 1, 2, Math.floor(rows / 3), Math.floor(rows / 2), rows - 2, rows - 1]);
  const ours = await scanPredictions(shards, keys);
  const theirs = await scanPredictions([loopFile], keys);
  const problems: string[] = [];
  if (ours.lines !== rows || theirs.lines !== rows) problems.push(`result lines: millrace ${ours.lines}, loop ${theirs.lines}, expected ${rows}`);
  for (const key of keys) {
    const a = ours.found.get(key);
    const b = theirs.found.get(key);
    if (a === undefined || b === undefined || Math.abs(a - b) > 1e-5 * Math.max(1, Math.abs(b))) problems.push(`key ${key}: millrace ${a}, loop ${b}`);
  }
  const sample = [...keys].slice(0, 3).map((k) => `${k}→${ours.found.get(k)?.toFixed(6)}/${theirs.found.get(k)?.toFixed(6)}`);
  process.stderr.write(`check: ${ours.lines} lines each; predictions millrace/loop at ${sample.join(', ')}, … (${keys.size} keys compared)\n`);
  return problems;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), process.env, FLAGS, ENV_PREFIX);
  if (flags === null) {
    process.stdout.write(usage('npm run bench:predict', FLAGS, ENV_PREFIX));
    return 0;
  }
  const repeat = positiveInt(flags.get('repeat') ?? '1', 'repeat');
  const batchSize = positiveInt(flags.get('batch-size') ?? '1024', 'batch-size');
  const smallRows = positiveInt(flags.get('small-rows') ?? '300000', 'small-rows');
  const work = await mkdtemp(join(tmpdir(), 'millrace-predict-flights-'));
  try {
    // Deriving is preparation, not part of either contender's time.
    const full = join(work, `flights-${label(FULL_ROWS)}-model.parquet`);
    const small = join(work, `flights-${label(smallRows)}-model.parquet`);
    const t0 = Date.now();
    await deriveModelInput(full);
    await deriveModelInput(small, smallRows);
    process.stderr.write(`derived ${full} and ${small} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const contenders = [loop(full, FULL_ROWS, batchSize), millrace(full, FULL_ROWS, batchSize), loop(small, smallRows, batchSize), millrace(small, smallRows, batchSize)];
    const measured = new Map<string, Measured>(contenders.map((c) => [c.name, { contender: c.name, rows: c.rows, seconds: [], peakRssBytes: [], cpuSeconds: [] }]));
    const problems: string[] = [];
    for (let r = 0; r < repeat; r++) {
      const outDirs = new Map<string, string>();
      // Same order every repeat; all contenders of one repeat run before the next repeat starts.
      for (const c of contenders) {
        // A fresh directory each run: millrace skips shards already committed in its output directory.
        const outDir = join(work, `out-${r}-${c.name.replace(' ', '-')}`);
        await mkdir(outDir, { recursive: true });
        const run = await c.run(outDir);
        const predicted = c.predicted(run);
        process.stderr.write(
          `run ${r + 1}/${repeat} ${c.name}: ${run.seconds.toFixed(2)} s, CPU ${run.cpuSeconds.toFixed(2)} s, peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MB, exit ${run.exitCode}\n`,
        );
        if (run.exitCode !== 0 || predicted !== c.rows) {
          problems.push(`${c.name}: exit ${run.exitCode}, ${predicted ?? '?'} of ${c.rows} rows predicted\n${run.stdout.slice(-500)}${run.stderr.slice(-1500)}`);
        }
        const m = measured.get(c.name);
        if (m !== undefined) {
          measured.set(c.name, {
            ...m,
            seconds: [...m.seconds, run.seconds],
            peakRssBytes: [...m.peakRssBytes, run.peakRssBytes],
            cpuSeconds: [...(m.cpuSeconds ?? []), run.cpuSeconds],
          });
        }
        outDirs.set(c.name, outDir);
      }
      if (r === 0) {
        const ours = outDirs.get(`millrace ${label(FULL_ROWS)}`);
        const theirs = outDirs.get(`loop ${label(FULL_ROWS)}`);
        if (ours !== undefined && theirs !== undefined) problems.push(...(await checkOutputs(ours, join(theirs, 'loop.jsonl'), FULL_ROWS)));
      }
      // Outputs are about 100 MB per million rows; do not let repeats fill the disk.
      for (const dir of outDirs.values()) await rm(dir, { recursive: true, force: true });
    }

    const summaries = [...measured.values()].map(summarize);
    const find = (name: string) => summaries.find((s) => s.contender === name);
    const ours = find(`millrace ${label(FULL_ROWS)}`);
    const theirs = find(`loop ${label(FULL_ROWS)}`);
    const oursSmall = find(`millrace ${label(smallRows)}`);
    process.stdout.write(
      `flights-3m → examples/models/flights v${FLIGHTS_MODEL_VERSION}, batch ${batchSize}, ${repeat === 1 ? '1 run' : `median of ${repeat} runs`}; ` +
        `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}\n\n`,
    );
    process.stdout.write(`${formatSummaries(summaries, `loop ${label(FULL_ROWS)}`, 'vs loop 3M', (s) => s.rowsPerSecond)}\n\n`);
    if (ours === undefined || theirs === undefined || oursSmall === undefined) return 1;
    const ratio = ours.rowsPerSecond / theirs.rowsPerSecond;
    const growth = ours.peakRssMb / oursSmall.peakRssMb;
    const lines = [
      verdict(ratio >= MIN_RATIO, `millrace rows/s ≥ ${MIN_RATIO}× the loop's at 3M rows: ${ratio.toFixed(2)}×`),
      verdict(ours.peakRssMb < MAX_RSS_MB, `millrace peak RSS < ${MAX_RSS_MB} MB at 3M rows: ${ours.peakRssMb.toFixed(0)} MB`),
      verdict(
        growth <= MAX_RSS_GROWTH,
        `millrace peak RSS flat from ${label(smallRows)} to 3M rows (≤ ${MAX_RSS_GROWTH}×): ${oursSmall.peakRssMb.toFixed(0)} → ${ours.peakRssMb.toFixed(0)} MB, ${growth.toFixed(2)}×`,
      ),
      verdict(problems.length === 0, `same row count and predictions from both contenders${problems.length === 0 ? '' : `:\n  ${problems.join('\n  ')}`}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return lines.every((l) => l.startsWith('PASS')) ? 0 : 1;
  } finally {
    if (flags.get('keep') === 'true') process.stderr.write(`kept ${work}\n`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(err instanceof OptionError ? `${err.message}\n` : `${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
