// The two places that feed ModelStatistics: a Predictor decorator that counts requests (the composition root hands
// it to every front end, so TF Serving REST, v2 REST and gRPC are all counted), and a model-run wrapper that counts
// executions below the batcher, where several requests may share one run.

import type { ModelConfig } from '../../repository/model-config.js';
import type { VersionStatus } from '../../repository/served-version.js';
import type { Signature } from '../../runtime/signature.js';
import type {
  ClassifyResponse,
  ExamplesRequest,
  MetadataResponse,
  ModelSpec,
  PredictRequest,
  PredictResponse,
  Predictor,
  RegressResponse,
} from '../../serving/predictor.js';
import type { ModelRun } from '../../serving/signature-runners.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ModelStatistics } from './model-statistics.js';

/** Which version a request would have used, for counting failures (undefined: the model has none to blame). */
export type VersionResolver = (spec: ModelSpec) => number | undefined;

/** What the resolver needs from the model manager. */
export interface ServedModels {
  status(name: string): VersionStatus[];
  configuredModels(): ModelConfig[];
}

/** The version a spec names (directly or through its label), or else the newest available one. */
export function servedVersionResolver(models: ServedModels): VersionResolver {
  return (spec) => {
    const statuses = models.status(spec.name);
    let version = spec.version;
    if (version === undefined && spec.label !== undefined) {
      version = models.configuredModels().find((c) => c.name === spec.name)?.versionLabels.get(spec.label);
      if (version === undefined) return undefined; // an unknown label: no version was involved
    }
    if (version === undefined) return statuses.find((s) => s.state === 'AVAILABLE')?.version;
    // Only versions the manager knows: a client must not grow the counters by naming arbitrary ones.
    return statuses.some((s) => s.version === version) ? version : undefined;
  };
}

// Nanoseconds as a double from performance.now(): no BigInt to allocate per request, and exact to well
// under a microsecond for the durations measured here.
const now = (): number => performance.now() * 1e6;
const since = (start: number): number => Math.round(now() - start);

/** Rows in a request or a batch: the first dimension of the first input, 1 for a scalar input. */
function rowsOf(inputs: ReadonlyMap<string, Tensor>): number {
  for (const tensor of inputs.values()) return tensor.shape.length > 0 ? tensor.shape[0]! : 1;
  return 0;
}

export class StatisticsPredictor implements Predictor {
  constructor(
    private readonly inner: Predictor,
    private readonly statistics: ModelStatistics,
    private readonly resolveVersion: VersionResolver,
  ) {}

  async predict(request: PredictRequest): Promise<PredictResponse> {
    const start = now();
    let decoded: number | undefined;
    let inputNs = 0;
    let rows = 0;
    const inputs = request.inputs;
    const timedInputs = (signature: Signature): ReadonlyMap<string, Tensor> => {
      const t0 = now();
      const tensors = typeof inputs === 'function' ? inputs(signature) : inputs;
      decoded = now();
      inputNs = Math.round(decoded - t0);
      rows = rowsOf(tensors);
      return tensors;
    };
    try {
      // Field by field rather than `{...request}` (a spread costs microseconds on this path); `satisfies`
      // fails to compile when PredictRequest gains a field this copy would drop.
      const timedRequest = {
        modelSpec: request.modelSpec,
        inputs: timedInputs,
        outputFilter: request.outputFilter,
        deadline: request.deadline,
        signal: request.signal,
      } satisfies Record<keyof PredictRequest, unknown>;
      const response = await this.inner.predict(timedRequest);
      const totalNs = since(start);
      const inferNs = decoded === undefined ? totalNs : since(decoded);
      this.statistics.recordSuccess(response.modelSpec.name, response.modelSpec.version, { rows, totalNs, inputNs, inferNs });
      return response;
    } catch (err) {
      this.recordFailure(request.modelSpec, start);
      throw err;
    }
  }

  async classify(request: ExamplesRequest): Promise<ClassifyResponse> {
    return this.examples(request, () => this.inner.classify(request));
  }

  async regress(request: ExamplesRequest): Promise<RegressResponse> {
    return this.examples(request, () => this.inner.regress(request));
  }

  metadata(spec: ModelSpec): Promise<MetadataResponse> {
    return this.inner.metadata(spec);
  }

  status(spec: { readonly name: string; readonly version?: number | undefined }): Promise<VersionStatus[]> {
    return this.inner.status(spec);
  }

  private async examples<T extends { modelSpec: { name: string; version: number } }>(request: ExamplesRequest, call: () => Promise<T>): Promise<T> {
    const start = now();
    try {
      const response = await call();
      const totalNs = since(start);
      const timing = { rows: request.examples.length, totalNs, inputNs: undefined, inferNs: totalNs };
      this.statistics.recordSuccess(response.modelSpec.name, response.modelSpec.version, timing);
      return response;
    } catch (err) {
      this.recordFailure(request.modelSpec, start);
      throw err;
    }
  }

  private recordFailure(spec: ModelSpec, start: number): void {
    const version = this.resolveVersion(spec);
    if (version !== undefined) this.statistics.recordFailure(spec.name, version, since(start));
  }
}

/** Wraps the model run under the batcher (or the direct runner) so each execution is counted with its batch size. */
export function countedModelRun(statistics: ModelStatistics, run: ModelRun): ModelRun {
  return async (servable, signatureKey, inputs, modelName, version) => {
    const start = now();
    const outputs = await run(servable, signatureKey, inputs, modelName, version);
    statistics.recordExecution(modelName, version, rowsOf(inputs), since(start));
    return outputs;
  };
}
