/**
 * A worker thread of a batch job (see job-workers.ts): loads its own session of the job's model, then runs the
 * output shards the job hands it, one at a time, with the same ShardRunner as the job's own thread, and reports
 * rows and completed shards back. An `abort` message stops it at the next record, leaving its shard uncommitted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toServingError } from '../errors/serving-error.js';
import { openEmbeddedPredictor, type EmbeddedPredictor } from './embedded-predictor.js';
import { FileOutput } from './file-output.js';
import type { JobWorkerSpec, ToWorker, FromWorker } from './job-workers.js';
import { ShardRunner, type JobRun, type RowCounts } from './shard-runner.js';
import { UnitReader } from './unit-reader.js';

const port = parentPort;
if (port === null) throw new Error('job-worker.js runs as a worker thread of a batch job');
const post = (message: FromWorker): void => port.postMessage(message);

async function main(spec: JobWorkerSpec): Promise<void> {
  const signal = { aborted: false };
  const pending: ToWorker[] = [];
  let wake: (() => void) | undefined;
  port!.on('message', (message: ToWorker) => {
    if (message.type === 'abort') signal.aborted = true;
    pending.push(message);
    wake?.();
  });
  const nextMessage = async (): Promise<ToWorker> => {
    while (pending.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return pending.shift()!;
  };
  let model: EmbeddedPredictor | undefined;
  try {
    let run: JobRun;
    if (spec.model !== undefined) {
      model = await openEmbeddedPredictor({ dir: spec.model.dir, modelName: spec.model.modelName, version: spec.model.version, runtime: spec.model.runtime });
      const signature = model.signatures.get(spec.model.signatureName);
      if (signature === undefined) throw new Error(`the worker's model has no signature ${spec.model.signatureName}`);
      run = { mode: 'predict', target: { predictor: model.predictor, modelSpec: { name: model.modelName, version: model.version, signatureName: signature.key }, signature } };
    } else run = { mode: 'export', signature: spec.exportSignature };
    const output = await FileOutput.create(spec.outputDirectory, spec.mode);
    const counts: RowCounts = { rows: 0, succeeded: 0, failed: 0 };
    let reported: RowCounts = { ...counts };
    const report = (): void => {
      post({ type: 'progress', rows: counts.rows - reported.rows, succeeded: counts.succeeded - reported.succeeded, failed: counts.failed - reported.failed });
      reported = { ...counts };
    };
    const runner = new ShardRunner({ ...spec.shardRun, run, signal }, output, new UnitReader(), counts, report);
    post({ type: 'ready' });
    for (;;) {
      const message = await nextMessage();
      if (message.type !== 'shard') break;
      await runner.runShard(message.shard);
      report();
      post({ type: 'done', index: message.shard.index });
    }
  } catch (err) {
    const error = toServingError(err);
    post({ type: 'failed', code: error.code, message: error.message });
  } finally {
    await model?.close();
    port!.close();
  }
}

void main(workerData as JobWorkerSpec);
