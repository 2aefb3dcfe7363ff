// `--enable_per_model_batching_parameters`: a model version may carry its own batching settings.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServingError } from '../errors/serving-error.js';
import { parseBatchingParameters, type BatchingParameters } from './batching-parameters.js';
import { unreadableReason } from './config-file-text.js';

/** TF Serving's name for the per-model file, inside the version directory. */
export const PER_MODEL_BATCHING_FILE = 'batching_params.pbtxt';

/**
 * The batching parameters of one version, as TF Serving reads them with per-model parameters on:
 * `<versionDirectory>/batching_params.pbtxt` when it exists, otherwise none (that version is not batched).
 * Only the thread pool (name and size) comes from the server-wide parameters, since the pool is shared by
 * every model. A file that does not parse fails the load of the version.
 */
export async function readPerModelBatchingParameters(versionDirectory: string, serverWide: BatchingParameters): Promise<BatchingParameters | undefined> {
  const path = join(versionDirectory, PER_MODEL_BATCHING_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new ServingError('INVALID_ARGUMENT', `Could not read per-model batching parameters ${path}: ${unreadableReason(err)}`);
  }
  const own = parseBatchingParameters(text, path);
  return { ...own, numBatchThreads: serverWide.numBatchThreads, threadPoolName: serverWide.threadPoolName };
}
