import { readBatchCounters } from '../batch-counters.js';
import { MODEL_NAME } from '../mlp-fixture.js';
import { batchingFlags, prometheusFlags, PROMETHEUS_PATH } from './millrace-config-files.js';
import { startMillrace } from './millrace-process.js';
import type { Target } from './target.js';

const NAME = 'millrace-batching';

// Large enough that the queue bound never refuses a request at the bench's concurrencies: this target
// measures batching, the overload script measures refusal.
const MAX_ENQUEUED_BATCHES = 100_000;

/** The real server with dynamic batching and no batch timeout: a batch runs as soon as the previous one is done. */
export const millraceBatching: Target = {
  name: NAME,
  description: 'millrace serve with --enable_batching, batch_timeout_micros 0, Prometheus on for batch sizes',
  computesModel: true,
  async start(repository, settings) {
    const flags = [
      `--tensorflow_intra_op_parallelism=${settings.intraOpThreads}`,
      ...(await batchingFlags(repository.root, NAME, {
        maxBatchSize: settings.maxBatchSize,
        batchTimeoutMicros: 0,
        maxEnqueuedBatches: MAX_ENQUEUED_BATCHES,
        numBatchThreads: settings.batchThreads,
      })),
      ...(await prometheusFlags(repository.root, NAME)),
    ];
    const { baseUrl, predictUrl, server } = await startMillrace(NAME, repository, flags);
    return {
      predictUrl,
      pid: server.pid,
      batchCounters: () => readBatchCounters(`${baseUrl}${PROMETHEUS_PATH}`, MODEL_NAME),
      stop: () => server.stop(),
    };
  },
};
