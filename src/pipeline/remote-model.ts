/**
 * The model of a batch job when it runs on another server (`--model http://…`, `grpc://…`, `v2+…`): a remote
 * predictor whose version is resolved once at the start, so every row of the job (and of a resumed run) comes
 * from the same version even if a label moves meanwhile.
 */
import { ServingError } from '../errors/serving-error.js';
import type { Signature } from '../runtime/signature.js';
import type { Predictor } from '../serving/predictor.js';
import { REMOTE_URL_SCHEMES } from '../serving/remote/remote-url.js';

/** What a batch job needs of its model, embedded or remote. */
export interface JobModel {
  readonly predictor: Predictor;
  readonly modelName: string;
  readonly version: number;
  readonly signatures: ReadonlyMap<string, Signature>;
  /** Batches to keep in flight (absent: 1, reading the next batch while the model runs this one). */
  readonly batchesInFlight?: number | undefined;
  /** Which batch failures to split the batch for (absent: all). */
  readonly splitOn?: ((error: ServingError) => boolean) | undefined;
  close(): Promise<void>;
}

export interface RemoteModelOptions {
  readonly modelName: string;
  readonly version?: number | undefined;
  readonly label?: string | undefined;
  /** Batches in flight, which is also the predictor's call limit. */
  readonly concurrency: number;
  readonly deadlineMs: number;
  /** Longest wait for one attempt of a call (0: the whole deadline); a timed-out attempt is retried. */
  readonly attemptTimeoutMs?: number | undefined;
}

/** True when `--model` names a server rather than a path. */
export function isModelUrl(model: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(model)?.[1]?.toLowerCase();
  return scheme !== undefined && REMOTE_URL_SCHEMES.includes(scheme);
}

export async function openRemoteModel(url: string, options: RemoteModelOptions): Promise<JobModel> {
  if (options.version !== undefined && options.label !== undefined) throw new ServingError('INVALID_ARGUMENT', 'set --version or --label, not both');
  // Loaded only for remote jobs: the gRPC and HTTP clients cost a local job's start-up time for nothing.
  const { createRemotePredictor } = await import('../serving/remote/remote-predictor.js');
  const predictor = createRemotePredictor(url, {
    deadlineMs: options.deadlineMs,
    maxConcurrentCalls: options.concurrency,
    ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
  });
  try {
    const metadata = await predictor.metadata({ name: options.modelName, version: options.version, label: options.label });
    return {
      predictor,
      modelName: metadata.modelSpec.name,
      version: metadata.modelSpec.version,
      signatures: metadata.signatures,
      batchesInFlight: options.concurrency,
      // Only a rejected row is isolated by splitting; an unreachable or overloaded server (already retried by the
      // predictor) fails the batch's rows as they are.
      splitOn: (error) => error.code === 'INVALID_ARGUMENT',
      close: () => predictor.close(),
    };
  } catch (err) {
    await predictor.close();
    throw err;
  }
}
