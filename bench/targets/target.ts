import type { BatchCounters } from '../batch-counters.js';
import type { MlpRepository } from '../mlp-fixture.js';

/** A server under load. Adding one to the bench is one file exporting a Target plus one line in index.ts. */
export interface Target {
  /** Short name used in the table and in `--targets`. */
  readonly name: string;
  readonly description: string;
  /** True when answers are the model's outputs, so the pre-flight check compares values, not just status. */
  readonly computesModel: boolean;
  start(repository: MlpRepository, settings: ServerSettings): Promise<RunningTarget>;
}

/** Bench flags that shape how millrace is started; other targets ignore them. */
export interface ServerSettings {
  /** `--tensorflow_intra_op_parallelism`; 0 = onnxruntime default. */
  readonly intraOpThreads: number;
  readonly maxBatchSize: number;
  readonly batchThreads: number;
}

export interface RunningTarget {
  /** Where wrk POSTs the predict body. */
  readonly predictUrl: string;
  /** The server process, whose CPU time the bench reads from /proc around each measured run. */
  readonly pid?: number;
  /** Cumulative rows and batches the server has run, for targets that batch. */
  readonly batchCounters?: () => Promise<BatchCounters>;
  stop(): Promise<void>;
}
