// One measured run of a server cell: warm-up, then wrk, with the server's batch counters read around the measured part.
import { meanBatchSize } from './batch-counters.js';
import type { RunResult } from './cell.js';
import { readCpuTime } from './cpu-time.js';
import type { RunningTarget } from './targets/target.js';
import { runWrk, type WrkLoad } from './wrk.js';

export interface ServerCellLoad extends Omit<WrkLoad, 'durationSeconds'> {
  readonly rows: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
}

export async function loadServerCell(running: RunningTarget, load: ServerCellLoad): Promise<RunResult> {
  if (load.warmupSeconds > 0) await runWrk({ ...load, durationSeconds: load.warmupSeconds });
  // Read after the warm-up so its batches (small ones, while connections open) stay out of the cell's mean.
  const before = await running.batchCounters?.();
  const cpuBefore = running.pid === undefined ? undefined : await readCpuTime(running.pid);
  const result = await runWrk(load);
  const cpuAfter = running.pid === undefined ? undefined : await readCpuTime(running.pid);
  const after = await running.batchCounters?.();
  const answered = result.requestsPerSecond * load.durationSeconds;
  return {
    requestsPerSecond: result.requestsPerSecond,
    rowsPerSecond: result.requestsPerSecond * load.rows,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.non2xx + result.socketErrors,
    meanBatchSize: before === undefined || after === undefined ? undefined : meanBatchSize(before, after),
    serverMicrosPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || !(answered > 0) ? undefined : ((cpuAfter.runSeconds - cpuBefore.runSeconds) * 1e6) / answered,
  };
}
