/**
 * A Predictor that logs the inputs of the predict requests it serves (TF Serving's request logging, as JSON
 * lines that `millrace stats` reads, so serving data can be compared with training data). Placed once around
 * the local predictor, it sees every front end: TF Serving REST and gRPC, Open Inference Protocol REST and gRPC.
 * A request is logged after it succeeds, with probability `samplingRate`; logging never waits (see
 * RequestLogWriter). Classify and regress requests pass through unlogged.
 */
import type { Signature } from '../../runtime/signature.js';
import type { Tensor } from '../../tensor/tensor.js';
import type {
  ClassifyResponse,
  ExamplesRequest,
  MetadataResponse,
  ModelSpec,
  PredictRequest,
  PredictResponse,
  Predictor,
  RegressResponse,
} from '../predictor.js';
import type { VersionStatus } from '../../repository/served-version.js';

/** Where logged requests go: RequestLogWriter, or anything that takes them the same way. */
export interface RequestLogSink {
  record(request: { model: PredictResponse['modelSpec']; inputs: ReadonlyMap<string, Tensor>; timestampMs: number }): boolean;
}

export class RequestLogPredictor implements Predictor {
  constructor(
    private readonly inner: Predictor,
    private readonly sink: RequestLogSink,
    /** In [0, 1]: the share of requests logged. */
    private readonly samplingRate: number,
    private readonly random: () => number = Math.random,
  ) {}

  async predict(request: PredictRequest): Promise<PredictResponse> {
    if (this.samplingRate <= 0 || (this.samplingRate < 1 && this.random() >= this.samplingRate)) return this.inner.predict(request);
    const timestampMs = Date.now();
    const inputs = request.inputs;
    let decoded: ReadonlyMap<string, Tensor> | undefined = typeof inputs === 'function' ? undefined : inputs;
    const capture =
      typeof inputs === 'function'
        ? (signature: Signature): ReadonlyMap<string, Tensor> => {
            decoded = inputs(signature);
            return decoded;
          }
        : inputs;
    // Field by field; `satisfies` fails to compile when PredictRequest gains a field this copy would drop.
    const logged = {
      modelSpec: request.modelSpec,
      inputs: capture,
      outputFilter: request.outputFilter,
      deadline: request.deadline,
      signal: request.signal,
    } satisfies Record<keyof PredictRequest, unknown>;
    const response = await this.inner.predict(logged);
    if (decoded !== undefined) this.sink.record({ model: response.modelSpec, inputs: decoded, timestampMs });
    return response;
  }

  classify(request: ExamplesRequest): Promise<ClassifyResponse> {
    return this.inner.classify(request);
  }

  regress(request: ExamplesRequest): Promise<RegressResponse> {
    return this.inner.regress(request);
  }

  metadata(spec: ModelSpec): Promise<MetadataResponse> {
    return this.inner.metadata(spec);
  }

  status(spec: { readonly name: string; readonly version?: number | undefined }): Promise<VersionStatus[]> {
    return this.inner.status(spec);
  }
}
