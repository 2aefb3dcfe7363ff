// `millrace stats` against DuckDB's SUMMARIZE on flights-3m (3 million rows), each a child process in the same
// run: seconds, CPU seconds, peak RSS, and RSS at 300k rows against 3M. See bench/flights.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild, type ChildRun } from './child-measure.js';
import { FLIGHTS_3M, sliceFlights } from './flights-data.js';
import { OptionError, parseFlags, positiveInt, usage, type FlagSpec } from './flags.js';
import { MILLRACE_CLI } from './paths.js';
import { formatSummaries, summarize, verdict, type Measured } from './run-table.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'repeat', default: '1', help: 'runs of each contender; the table shows medians' },
  { name: 'small-rows', default: '300000', help: 'rows of the slice used to check that RSS is flat' },
];
const ENV_PREFIX = 'FLIGHTS';
const FULL_ROWS = 3_000_000;
const DUCKDB_SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'stats-flights-duckdb.js');
// One unit of work per row group (272,727 rows), so the 300k slice (two row groups) is shared by the threads as
// the 3M file is: the memory check then compares runs that differ only in their number of rows.
const UNIT_ROWS = 250_000;

// Bars from the issue.
const MAX_TIME_RATIO = 2;
// "Flat": ten times the rows may cost at most this much more peak memory.
const MAX_RSS_GROWTH = 1.2;

interface Contender {
  readonly name: string;
  readonly rows: number;
  run(work: string): Promise<ChildRun>;
  /** Did the child say it covered every row? */
  complete(run: ChildRun): boolean;
}

function label(rows: number): string {
  return rows % 1_000_000 === 0 ? `${rows / 1_000_000}M` : rows % 1000 === 0 ? `${rows / 1000}k` : String(rows);
}

function millrace(input: string, rows: number): Contender {
  return {
    name: `millrace stats ${label(rows)}`,
    rows,
    run: (work) =>
      runChild({
        command: process.execPath,
        args: [MILLRACE_CLI, 'stats', '--input', input, '--output', join(work, `stats-${rows}.json`), '--unit_rows', String(UNIT_ROWS)],
      }),
    complete: (run) => run.stderr.includes(`stats: ${rows} examples,`),
  };
}

/** threads 0 = DuckDB's default (one per core). */
function duckdb(input: string, rows: number, threads: number): Contender {
  return {
    name: `duckdb SUMMARIZE ${label(rows)} ${threads === 0 ? `${availableParallelism()} threads` : `${threads} thread${threads === 1 ? '' : 's'}`}`,
    rows,
    run: () => runChild({ command: process.execPath, args: [DUCKDB_SCRIPT, input, String(threads)] }),
    complete: (run) => run.stdout.includes(`, ${rows} rows`),
  };
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), process.env, FLAGS, ENV_PREFIX);
  if (flags === null) {
    process.stdout.write(usage('npm run bench:stats', FLAGS, ENV_PREFIX));
    return 0;
  }
  const repeat = positiveInt(flags.get('repeat') ?? '1', 'repeat');
  const smallRows = positiveInt(flags.get('small-rows') ?? '300000', 'small-rows');
  const work = await mkdtemp(join(tmpdir(), 'millrace-stats-flights-'));
  try {
    const small = join(work, `flights-${label(smallRows)}.parquet`);
    await sliceFlights(small, smallRows);
    const ours = millrace(FLIGHTS_3M, FULL_ROWS);
    const theirs = duckdb(FLIGHTS_3M, FULL_ROWS, 0);
    const theirsOneThread = duckdb(FLIGHTS_3M, FULL_ROWS, 1);
    const oursSmall = millrace(small, smallRows);
    const contenders = [theirs, theirsOneThread, ours, duckdb(small, smallRows, 1), oursSmall];
    const measured = new Map<string, Measured>(contenders.map((c) => [c.name, { contender: c.name, rows: c.rows, seconds: [], peakRssBytes: [], cpuSeconds: [] }]));
    const problems: string[] = [];
    for (let r = 0; r < repeat; r++) {
      for (const c of contenders) {
        const run = await c.run(work);
        process.stderr.write(
          `run ${r + 1}/${repeat} ${c.name}: ${run.seconds.toFixed(2)} s, CPU ${run.cpuSeconds.toFixed(2)} s, peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MB, exit ${run.exitCode}\n`,
        );
        if (run.exitCode !== 0 || !c.complete(run)) problems.push(`${c.name}: exit ${run.exitCode}\n${run.stdout.slice(-500)}${run.stderr.slice(-1500)}`);
        const m = measured.get(c.name);
        if (m !== undefined) {
          measured.set(c.name, {
            ...m,
            seconds: [...m.seconds, run.seconds],
            peakRssBytes: [...m.peakRssBytes, run.peakRssBytes],
            cpuSeconds: [...(m.cpuSeconds ?? []), run.cpuSeconds],
          });
        }
      }
    }

    const summaries = [...measured.values()].map(summarize);
    const find = (c: Contender) => summaries.find((s) => s.contender === c.name);
    const [o, t, t1, os] = [find(ours), find(theirs), find(theirsOneThread), find(oursSmall)];
    process.stdout.write(
      `flights-3m.parquet (ZSTD, 5 columns), ${repeat === 1 ? '1 run' : `median of ${repeat} runs`}; ` +
        `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}. ` +
        `millrace stats uses ${availableParallelism()} threads (--workers default) plus DuckDB's reader threads; CPU s is all threads' user + system time.\n\n`,
    );
    // Time ratio: above 1 means slower than DuckDB on all cores.
    process.stdout.write(`${formatSummaries(summaries, theirs.name, 'time vs duckdb', (s) => s.seconds)}\n\n`);
    if (o === undefined || t === undefined || t1 === undefined || os === undefined) return 1;
    const growth = o.peakRssMb / os.peakRssMb;
    const lines = [
      verdict(o.seconds <= MAX_TIME_RATIO * t.seconds, `millrace stats ≤ ${MAX_TIME_RATIO}× DuckDB SUMMARIZE's time (${availableParallelism()} threads): ${(o.seconds / t.seconds).toFixed(2)}×`),
      `info  millrace stats vs DuckDB SUMMARIZE with SET threads = 1: ${(o.seconds / t1.seconds).toFixed(2)}× the time`,
      `info  CPU time, millrace stats vs DuckDB SUMMARIZE (${availableParallelism()} threads): ${o.cpuSeconds?.toFixed(2) ?? '?'} s vs ${t.cpuSeconds?.toFixed(2) ?? '?'} s`,
      verdict(
        growth <= MAX_RSS_GROWTH,
        `millrace stats peak RSS flat from ${label(smallRows)} to 3M rows (≤ ${MAX_RSS_GROWTH}×): ${os.peakRssMb.toFixed(0)} → ${o.peakRssMb.toFixed(0)} MB, ${growth.toFixed(2)}×`,
      ),
      verdict(problems.length === 0, `every contender finished and covered all rows${problems.length === 0 ? '' : `:\n  ${problems.join('\n  ')}`}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return lines.every((l) => !l.startsWith('FAIL')) ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
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
