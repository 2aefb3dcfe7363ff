// One child process run to completion, timed by wall clock, with its peak resident memory and CPU time from /proc.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface ChildRun {
  readonly seconds: number;
  /** Peak resident set in bytes: the larger of the last VmHWM seen and the largest sampled VmRSS. */
  readonly peakRssBytes: number;
  /** User + system CPU seconds of all the child's threads, as last sampled (up to one sample period short). */
  readonly cpuSeconds: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Sampling period of /proc/<pid>/status; VmHWM is the kernel's own high-water mark, so sampling only has to catch it before exit. */
  readonly sampleMs?: number;
}

async function readPeak(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return undefined;
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  // A zombie has no Vm* lines; 0 then means "no reading" rather than "no memory".
  const peak = Math.max(kib('VmHWM'), kib('VmRSS')) * 1024;
  return peak > 0 ? peak : undefined;
}

// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel build.
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of every thread of a process, in seconds; undefined once it is gone. */
async function readCpu(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
}

// Keeps only the tail: progress lines of a long job are not needed, the summary at the end is.
function tail(chunks: string[], max: number): string {
  const text = chunks.join('');
  return text.length > max ? text.slice(-max) : text;
}

export function runChild(spec: ChildSpec): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (s: string) => out.push(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => err.push(s));
    let peak = 0;
    let cpu = 0;
    let sampling: Promise<void> = Promise.resolve();
    const sample = (): void => {
      const pid = child.pid;
      if (pid === undefined) return;
      sampling = sampling.then(async () => {
        const [bytes, seconds] = await Promise.all([readPeak(pid), readCpu(pid)]);
        if (bytes !== undefined) peak = Math.max(peak, bytes);
        if (seconds !== undefined) cpu = Math.max(cpu, seconds);
      });
    };
    const timer = setInterval(sample, spec.sampleMs ?? 50);
    sample();
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    // After exit /proc has no Vm* lines left, so the periodic samples carry the peak.
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      void sampling.then(() => resolve({ seconds, peakRssBytes: peak, cpuSeconds: cpu, exitCode: code, stdout: tail(out, 64_000), stderr: tail(err, 8_000) }));
    });
  });
}
