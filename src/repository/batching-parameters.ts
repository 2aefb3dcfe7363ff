// Batching settings from a `--batching_parameters_file` (text BatchingParameters), with TF Serving's defaults.
import os from 'node:os';
import { ServingError } from '../errors/serving-error.js';
import { readConfigFileText } from './config-file-text.js';
import { parseTextProto, type WrappedValue } from './proto-loader.js';

export interface BatchingParameters {
  /** Largest batch, in rows; also the largest single request unless splitting is enabled. */
  readonly maxBatchSize: number;
  /** Longest wait after the first request entered an open batch before it runs anyway. */
  readonly batchTimeoutMicros: number;
  /** Queue bound, in batches, per queue. */
  readonly maxEnqueuedBatches: number;
  /** Batches run concurrently (one pool shared by all models). */
  readonly numBatchThreads: number;
  readonly threadPoolName: string;
  /** Sizes a formed batch is padded up to; empty = no padding. */
  readonly allowedBatchSizes: readonly number[];
  readonly padVariableLengthInputs: boolean;
  readonly enableLargeBatchSplitting: boolean;
  /** Batch size actually run; differs from maxBatchSize only when splitting is enabled. */
  readonly maxExecutionBatchSize: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 1000;
/** Pool name when a parameters file leaves thread_pool_name unset. */
export const DEFAULT_THREAD_POOL_NAME = 'batch_threads';
/** Pool name TF Serving uses when batching is enabled without any parameters file. */
export const NO_FILE_THREAD_POOL_NAME = 'model_server_batch_threads';

/** All defaults; pass NO_FILE_THREAD_POOL_NAME when there is no parameters file at all. */
export function defaultBatchingParameters(threadPoolName: string = DEFAULT_THREAD_POOL_NAME): BatchingParameters {
  return {
    maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
    batchTimeoutMicros: 0,
    maxEnqueuedBatches: 10,
    numBatchThreads: os.availableParallelism(),
    threadPoolName,
    allowedBatchSizes: [],
    padVariableLengthInputs: false,
    enableLargeBatchSplitting: false,
    maxExecutionBatchSize: DEFAULT_MAX_BATCH_SIZE,
  };
}

/**
 * Parses and validates a text BatchingParameters (wrapper fields are written `max_batch_size { value: 128 }`).
 * Failures are INVALID_ARGUMENT; syntax errors name `fileName` and the line, the allowed_batch_sizes checks use
 * TF Serving's exact texts.
 */
export function parseBatchingParameters(text: string, fileName: string): BatchingParameters {
  const message = parseTextProto('tensorflow.serving.BatchingParameters', text, fileName);
  const defaults = defaultBatchingParameters();
  const fail = (detail: string): never => {
    throw new ServingError('INVALID_ARGUMENT', detail);
  };

  const wrapped = (field: string, wrapper: WrappedValue<string> | undefined, fallback: number): number =>
    wrapper === undefined ? fallback : toSafeInteger(field, wrapper.value ?? '0', fail);

  const maxBatchSize = wrapped('max_batch_size', message.max_batch_size, defaults.maxBatchSize);
  const batchTimeoutMicros = wrapped('batch_timeout_micros', message.batch_timeout_micros, defaults.batchTimeoutMicros);
  const maxEnqueuedBatches = wrapped('max_enqueued_batches', message.max_enqueued_batches, defaults.maxEnqueuedBatches);
  const numBatchThreads = wrapped('num_batch_threads', message.num_batch_threads, defaults.numBatchThreads);
  const enableLargeBatchSplitting = message.enable_large_batch_splitting?.value ?? false;
  // As in TF Serving, max_execution_batch_size only counts when splitting is on.
  const maxExecutionBatchSize = enableLargeBatchSplitting
    ? wrapped('max_execution_batch_size', message.max_execution_batch_size, maxBatchSize)
    : maxBatchSize;
  const allowedBatchSizes = message.allowed_batch_sizes.map((size) => toSafeInteger('allowed_batch_sizes', size, fail));

  if (maxBatchSize <= 0) fail(`max_batch_size must be positive; was ${maxBatchSize}`);
  if (batchTimeoutMicros < 0) fail(`batch_timeout_micros must be non-negative; was ${batchTimeoutMicros}`);
  if (maxEnqueuedBatches <= 0) fail(`max_enqueued_batches must be positive; was ${maxEnqueuedBatches}`);
  if (numBatchThreads <= 0) fail(`num_batch_threads must be positive; was ${numBatchThreads}`);
  if (maxExecutionBatchSize <= 0) fail(`max_execution_batch_size must be positive; was ${maxExecutionBatchSize}`);
  if (maxExecutionBatchSize > maxBatchSize) {
    fail(`max_execution_batch_size must not exceed max_batch_size; was ${maxExecutionBatchSize}; max_batch_size is ${maxBatchSize}`);
  }
  validateAllowedBatchSizes(allowedBatchSizes, maxBatchSize, enableLargeBatchSplitting, maxExecutionBatchSize, fail);

  return {
    maxBatchSize,
    batchTimeoutMicros,
    maxEnqueuedBatches,
    numBatchThreads,
    threadPoolName: message.thread_pool_name === undefined ? defaults.threadPoolName : (message.thread_pool_name.value ?? ''),
    allowedBatchSizes,
    padVariableLengthInputs: message.pad_variable_length_inputs ?? false,
    enableLargeBatchSplitting,
    maxExecutionBatchSize,
  };
}

/** Reads and parses the file given by `--batching_parameters_file`. */
export async function readBatchingParametersFile(path: string): Promise<BatchingParameters> {
  return parseBatchingParameters(await readConfigFileText(path, 'batching_parameters_file'), path);
}

function validateAllowedBatchSizes(
  sizes: readonly number[],
  maxBatchSize: number,
  splitting: boolean,
  maxExecutionBatchSize: number,
  fail: (detail: string) => never,
): void {
  const last = sizes.at(-1);
  if (last === undefined) return;
  for (const size of sizes) {
    if (size <= 0) fail(`allowed_batch_sizes entries must be positive; got ${size}`);
  }
  // TF Serving checks the order only with splitting on; an unordered list makes padding pick wrong sizes, so
  // millrace always checks it.
  if (sizes.some((size, i) => i > 0 && size <= (sizes[i - 1] ?? 0))) {
    fail('allowed_batch_sizes entries must be monotonically increasing');
  }
  if (!splitting) {
    if (last !== maxBatchSize) {
      fail(`Last entry in allowed_batch_sizes must match max_batch_size; last entry was ${last}; expected ${maxBatchSize}`);
    }
    return;
  }
  if (last > maxBatchSize) {
    fail(
      `Last entry in allowed_batch_sizes must be less than or equal to max_batch_size; last entry was ${last}; ` +
        `expected ${maxBatchSize}`,
    );
  }
  if (last !== maxExecutionBatchSize) {
    fail(
      `Last entry in allowed_batch_sizes must be equal to max_execution_batch_size; last entry was ${last}; ` +
        `expected ${maxExecutionBatchSize}`,
    );
  }
}

function toSafeInteger(field: string, decimal: string, fail: (detail: string) => never): number {
  const value = Number(decimal);
  if (!Number.isSafeInteger(value)) fail(`${field} is out of range; was ${decimal}`);
  return value;
}
