import type { BatchingParameters } from '../repository/batching-parameters.js';
import type { Servable } from '../runtime/servable.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchMetrics } from './batch-metrics.js';
import { BatchQueue } from './batch-queue.js';
import { BatchScheduler } from './batch-scheduler.js';
import type { CancellationSignal } from './batch-task.js';
import { taskRows } from './tensor-batching.js';

export interface BatchedCall {
  readonly servable: Servable;
  readonly modelName: string;
  readonly version: number;
  readonly signatureKey: string;
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly outputAliases: readonly string[] | undefined;
  readonly deadline: number | undefined;
  readonly signal: CancellationSignal | undefined;
}

export type TimedRun = (servable: Servable, signatureKey: string, inputs: ReadonlyMap<string, Tensor>, modelName: string, version: number) => Promise<Map<string, Tensor>>;

/** The batching parameters of one loaded version; undefined runs its requests one by one. */
export type ServableBatchingParameters = (servable: Servable) => BatchingParameters | undefined;

/**
 * Routes calls into one queue per (servable, signature), created on first use and dropped with the
 * servable, and hands each caller just its own rows and requested outputs. Every queue shares one
 * scheduler (TF Serving's shared batch thread pool); with per-model parameters each version's queues use
 * its own settings, and a version without any is not batched.
 */
export class BatchingRunner {
  private readonly queues = new WeakMap<Servable, Map<string, BatchQueue> | null>();
  private readonly scheduler: BatchScheduler;

  constructor(
    private readonly params: BatchingParameters,
    private readonly runModel: TimedRun,
    private readonly metricsFor: (modelName: string, version: number) => BatchMetrics,
    private readonly paramsFor: ServableBatchingParameters = () => params,
  ) {
    this.scheduler = new BatchScheduler(params.numBatchThreads);
  }

  run(call: BatchedCall): Promise<Map<string, Tensor>> {
    const queue = this.queueFor(call);
    if (queue === undefined) return this.runAlone(call);
    const rows = taskRows(call.inputs);
    return new Promise<Map<string, Tensor>>((resolve, reject) => {
      this.scheduler.submit(queue, {
        inputs: call.inputs,
        rows,
        deadline: call.deadline,
        signal: call.signal,
        enqueuedAt: performance.now(),
        resolve: (outputs) => resolve(call.outputAliases === undefined ? outputs : pick(outputs, call.outputAliases)),
        reject,
      });
    });
  }

  queuedTasks(): number {
    return this.scheduler.queuedTasks();
  }

  private async runAlone(call: BatchedCall): Promise<Map<string, Tensor>> {
    const outputs = await this.runModel(call.servable, call.signatureKey, call.inputs, call.modelName, call.version);
    return call.outputAliases === undefined ? outputs : pick(outputs, call.outputAliases);
  }

  private queueFor(call: BatchedCall): BatchQueue | undefined {
    let bySignature = this.queues.get(call.servable);
    if (bySignature === null) return undefined;
    if (bySignature === undefined) {
      if (this.paramsFor(call.servable) === undefined) {
        this.queues.set(call.servable, null);
        return undefined;
      }
      bySignature = new Map();
      this.queues.set(call.servable, bySignature);
    }
    let queue = bySignature.get(call.signatureKey);
    if (queue === undefined) {
      const { servable, signatureKey, modelName, version } = call;
      const params = this.paramsFor(servable) as BatchingParameters;
      queue = new BatchQueue(params, (inputs) => this.runModel(servable, signatureKey, inputs, modelName, version), this.metricsFor(modelName, version));
      bySignature.set(signatureKey, queue);
    }
    return queue;
  }
}

function pick(outputs: Map<string, Tensor>, aliases: readonly string[]): Map<string, Tensor> {
  const picked = new Map<string, Tensor>();
  for (const alias of aliases) {
    const t = outputs.get(alias);
    if (t !== undefined) picked.set(alias, t);
  }
  return picked;
}
