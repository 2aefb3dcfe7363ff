// `millrace serve` with both its REST and its gRPC port open, batching on or off, waiting until the model answers.
import { existsSync } from 'node:fs';
import { freePort } from '../../test/support/free-port.js';
import { MODEL_NAME, type MlpRepository } from '../mlp-fixture.js';
import { MILLRACE_CLI } from '../paths.js';
import { startChildServer, type ChildServer } from '../targets/child-server.js';
import { batchingFlags, prometheusFlags, PROMETHEUS_PATH } from '../targets/millrace-config-files.js';

export const HOST = '127.0.0.1';

export interface ProtocolsServer {
  readonly restPort: number;
  readonly grpcPort: number;
  readonly restBaseUrl: string;
  /** The Prometheus page: request_count for the C generators' error check, and the mean batch size. */
  readonly metricsUrl: string;
  readonly server: ChildServer;
}

const BATCHING = { maxBatchSize: 256, batchTimeoutMicros: 0, maxEnqueuedBatches: 1000, numBatchThreads: 1 } as const;

export async function startProtocolsServer(repository: MlpRepository, batching: boolean): Promise<ProtocolsServer> {
  if (!existsSync(MILLRACE_CLI)) throw new Error(`${MILLRACE_CLI} is missing: run \`npm run build\` first`);
  const name = batching ? 'millrace-protocols-batching' : 'millrace-protocols';
  const restPort = await freePort();
  const grpcPort = await freePort();
  const baseUrl = `http://${HOST}:${restPort}`;
  const extra = [...(batching ? await batchingFlags(repository.root, name, BATCHING) : []), ...(await prometheusFlags(repository.root, name))];
  const server = await startChildServer({
    name,
    args: [
      MILLRACE_CLI,
      'serve',
      `--rest_api_port=${restPort}`,
      `--port=${grpcPort}`,
      `--model_name=${MODEL_NAME}`,
      `--model_base_path=${repository.basePath}`,
      '--file_system_poll_wait_seconds=0',
      `--rest_api_host=${HOST}`,
      ...extra,
    ],
    isReady: () => modelAvailable(`${baseUrl}/v1/models/${MODEL_NAME}`),
  });
  return { restPort, grpcPort, restBaseUrl: baseUrl, metricsUrl: `${baseUrl}${PROMETHEUS_PATH}`, server };
}

// The ports open before the model loads; only an AVAILABLE version answers.
async function modelAvailable(statusUrl: string): Promise<boolean> {
  const response = await fetch(statusUrl);
  if (response.status !== 200) return false;
  const status = (await response.json()) as { model_version_status?: Array<{ state?: string }> };
  return (status.model_version_status ?? []).some((v) => v.state === 'AVAILABLE');
}
