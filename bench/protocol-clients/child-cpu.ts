// Runs a load generator and reports the CPU time it used: bash's `times` prints the user and system time of the
// children it waited for, which /proc can no longer show once the generator has exited.
import { execFile } from 'node:child_process';

export interface ChildRun {
  readonly stdout: string;
  readonly stderr: string;
  /** User plus system CPU seconds of the command. */
  readonly cpuSeconds: number;
}

const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
// `times` ends with the children's line: "0m1.234s 0m0.567s".
const TIMES_LINE = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/;

export function runMeasuringCpu(command: string, args: readonly string[]): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', '"$@"; code=$?; times >&2; exit $code', 'bash', command, ...args],
      { maxBuffer: MAX_OUTPUT_BYTES },
      (err, stdout, stderr) => {
        if (err !== null) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' || /command not found/.test(stderr);
          reject(new Error(missing ? `${command} not found: ${installHint(command)}` : `${command} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
          return;
        }
        const times = TIMES_LINE.exec(stderr);
        if (times === null) {
          reject(new Error(`no CPU times after ${command}: ${stderr.slice(-300)}`));
          return;
        }
        const cpuSeconds = Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]);
        resolve({ stdout, stderr: stderr.replace(TIMES_LINE, ''), cpuSeconds });
      },
    );
  });
}

function installHint(command: string): string {
  return command === 'h2load' ? 'install it first (Debian/Ubuntu: apt-get install -y nghttp2-client)' : `install it first (Debian/Ubuntu: apt-get install -y ${command})`;
}
