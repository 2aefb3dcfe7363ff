import { ServingError } from '../errors/serving-error.js';
import type { ModelManager, ServableLease } from '../repository/model-manager.js';
import type { VersionStatus } from '../repository/served-version.js';
import { DEFAULT_SIGNATURE, type Signature } from '../runtime/signature.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkStillWanted } from './deadline.js';
import { examplesToTensors } from './examples-to-tensors.js';
import type {
  Classification,
  ClassifyResponse,
  ExamplesRequest,
  MetadataResponse,
  ModelSpec,
  PredictRequest,
  PredictResponse,
  Predictor,
  RegressResponse,
} from './predictor.js';
import { checkInputSet, checkOutputFilter } from './signature-checks.js';
import { SignatureNotFoundError } from './signature-not-found.js';

/** One signature run on a pinned servable, as the predictor hands it to a runner. */
export interface RunCall {
  readonly lease: ServableLease;
  readonly signature: Signature;
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly outputAliases: readonly string[] | undefined;
  readonly deadline: number | undefined;
  readonly signal: { readonly aborted: boolean } | undefined;
}

/** Runs a signature: straight on the servable, or through the batcher. */
export type SignatureRunner = (call: RunCall) => Promise<Map<string, Tensor>>;

/** Runs straight on the servable (no batching). */
export const directRunner: SignatureRunner = (call) => call.lease.servable.run(call.signature.key, call.inputs, call.outputAliases);

/** The Predictor of models loaded in this process: repository → (batching) → runtime. */
export class LocalPredictor implements Predictor {
  constructor(
    private readonly manager: ModelManager,
    private readonly runner: SignatureRunner = directRunner,
  ) {}

  async predict(request: PredictRequest): Promise<PredictResponse> {
    // The lease is taken and released here rather than through withLease: one async layer less per request.
    const spec = request.modelSpec;
    const lease = this.manager.acquire({ name: spec.name, version: spec.version, label: spec.label });
    try {
      const signatureName = signatureNameOf(spec);
      const signature = lease.servable.signatures.get(signatureName);
      if (signature === undefined) throw new SignatureNotFoundError(signatureName);
      const inputs = typeof request.inputs === 'function' ? request.inputs(signature) : request.inputs;
      checkInputSet(signature, inputs);
      const outputAliases = checkOutputFilter(signature, request.outputFilter);
      checkStillWanted(request);
      const outputs = await this.runner({ lease, signature, inputs, outputAliases, deadline: request.deadline, signal: request.signal });
      return { modelSpec: { name: lease.modelName, version: lease.version, signatureName }, outputs };
    } finally {
      lease.release();
    }
  }

  async classify(request: ExamplesRequest): Promise<ClassifyResponse> {
    return this.withLease(request.modelSpec, async (lease) => {
      const { signature, outputs } = await this.runExamples(lease, request);
      const scoresAlias = signature.scoresOutput ?? (signature.outputs.has('scores') ? 'scores' : undefined);
      const scores = scoresAlias === undefined ? undefined : outputs.get(scoresAlias);
      if (scores === undefined || scores.dtype !== 'DT_FLOAT') {
        throw new ServingError('INVALID_ARGUMENT', `Expected a float scores output in signature ${signature.key}; name it "scores" or declare the method in signatures.json`);
      }
      const batch = request.examples.length;
      const classes = scores.shape.length === 1 ? 1 : (scores.shape[1] ?? 0);
      if (scores.shape[0] !== batch || scores.shape.length > 2) {
        throw new ServingError('INVALID_ARGUMENT', `Expected scores shape [${batch}, k] but got [${scores.shape.join(',')}]`);
      }
      const labels = labelsFor(signature, outputs, batch, classes);
      const values = scores.data as Float32Array;
      const results: Classification[] = [];
      for (let row = 0; row < batch; row++) {
        const entry: Array<readonly [string, number]> = [];
        for (let c = 0; c < classes; c++) entry.push([labels(row, c), values[row * classes + c] as number]);
        results.push(entry);
      }
      return { modelSpec: resolvedSpec(lease, request.modelSpec), results };
    });
  }

  async regress(request: ExamplesRequest): Promise<RegressResponse> {
    return this.withLease(request.modelSpec, async (lease) => {
      const { signature, outputs } = await this.runExamples(lease, request);
      const alias = signature.regressOutput ?? (signature.outputs.size === 1 ? [...signature.outputs.keys()][0] : 'outputs');
      const value = alias === undefined ? undefined : outputs.get(alias);
      if (value === undefined) throw new ServingError('INVALID_ARGUMENT', 'Expected one output Tensor.');
      const batch = request.examples.length;
      const shapeOk = value.shape[0] === batch && (value.shape.length === 1 || (value.shape.length === 2 && value.shape[1] === 1));
      if (!shapeOk) {
        throw new ServingError(
          'INVALID_ARGUMENT',
          `Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got [${value.shape.join(',')}]`,
        );
      }
      if (value.dtype !== 'DT_FLOAT') throw new ServingError('INVALID_ARGUMENT', `Expected output Tensor of DT_FLOAT.  Got: ${value.dtype}`);
      return { modelSpec: resolvedSpec(lease, request.modelSpec), values: Float32Array.from(value.data as Float32Array) };
    });
  }

  async metadata(spec: ModelSpec): Promise<MetadataResponse> {
    return this.withLease(spec, async (lease) => ({
      modelSpec: { name: lease.modelName, version: lease.version },
      signatures: lease.servable.signatures,
    }));
  }

  async status(spec: { name: string; version?: number | undefined }): Promise<VersionStatus[]> {
    const all = this.manager.status(spec.name);
    if (spec.version !== undefined) {
      const one = all.filter((s) => s.version === spec.version);
      if (one.length === 0) throw new ServingError('NOT_FOUND', `Could not find version ${spec.version} of model ${spec.name}`);
      return one;
    }
    if (all.length === 0) throw new ServingError('NOT_FOUND', `Could not find any versions of model ${spec.name}`);
    return all;
  }

  private async withLease<T>(spec: ModelSpec, work: (lease: ServableLease) => Promise<T>): Promise<T> {
    const lease = this.manager.acquire({ name: spec.name, version: spec.version, label: spec.label });
    try {
      return await work(lease);
    } finally {
      lease.release();
    }
  }

  private async runExamples(lease: ServableLease, request: ExamplesRequest): Promise<{ signature: Signature; outputs: Map<string, Tensor> }> {
    if (request.examples.length === 0) throw new ServingError('INVALID_ARGUMENT', 'Input is empty.');
    const signatureName = signatureNameOf(request.modelSpec);
    const signature = lease.servable.signatures.get(signatureName);
    if (signature === undefined) throw new ServingError('INVALID_ARGUMENT', `No signature was found with the name: ${signatureName}`);
    const inputs = examplesToTensors(signature.inputs, request.examples, request.context);
    checkStillWanted(request);
    const outputs = await this.runner({ lease, signature, inputs, outputAliases: undefined, deadline: request.deadline, signal: request.signal });
    return { signature, outputs };
  }
}

function signatureNameOf(spec: ModelSpec): string {
  return spec.signatureName === undefined || spec.signatureName === '' ? DEFAULT_SIGNATURE : spec.signatureName;
}

function resolvedSpec(lease: ServableLease, spec: ModelSpec) {
  return { name: lease.modelName, version: lease.version, signatureName: signatureNameOf(spec) };
}

/** Labels come from a `classes` string output when the model has one, else from signatures.json. */
function labelsFor(signature: Signature, outputs: ReadonlyMap<string, Tensor>, batch: number, classes: number): (row: number, c: number) => string {
  const classesTensor = outputs.get('classes');
  if (classesTensor !== undefined && classesTensor.dtype === 'DT_STRING' && classesTensor.shape[0] === batch) {
    const decoder = new TextDecoder();
    const data = classesTensor.data as Uint8Array[];
    return (row, c) => decoder.decode(data[row * classes + c]);
  }
  const labels = signature.classLabels ?? [];
  if (labels.length > 0 && labels.length !== classes) {
    throw new ServingError('INVALID_ARGUMENT', `signatures.json lists ${labels.length} classes but the scores output has ${classes} columns`);
  }
  return (_row, c) => labels[c] ?? '';
}
