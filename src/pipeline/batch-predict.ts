/**
 * Runs a batch of instances through a Predictor and returns one outcome per instance. A batch that fails is
 * split in halves and each half retried, down to single instances, so one bad row costs a few extra model
 * calls and only that row's outcome is an error (Beam's lesson: failures come per batch, error files need
 * them per row). Instances are decoded with the TF Serving JSON codec, so they follow the REST API's rules.
 */
import { toServingError, type ServingError } from '../errors/serving-error.js';
import type { Signature } from '../runtime/signature.js';
import type { ModelSpec, Predictor } from '../serving/predictor.js';
import { decodePredictInputs, parsePredictBody } from '../tensor/tf-json-predict.js';
import type { Tensor } from '../tensor/tensor.js';
import { instanceTensors } from './instance-tensors.js';
import { predictionTexts } from './prediction-rows.js';

/** What a batch job runs its instances on. */
export interface PredictionTarget {
  readonly predictor: Predictor;
  readonly modelSpec: ModelSpec;
  /** The signature instances are checked against (the one modelSpec names). */
  readonly signature: Signature;
  /**
   * Which failures of a batch are worth splitting it for; the others fail all of its rows at once. Absent: every
   * failure (an embedded model fails fast; a remote one should not re-send an unreachable server's batch 2n times).
   */
  readonly splitOn?: ((error: ServingError) => boolean) | undefined;
}

/** The JSON text of the prediction, or why there is none. */
export type RowOutcome = { readonly prediction: string } | { readonly error: ServingError };

const encoder = new TextEncoder();

/**
 * `instances` are JSON texts (see instance-json.ts), so callers can reuse the text for their output. `values`,
 * when given, are the same instances as values: the common numeric case then goes straight into tensors (see
 * instance-tensors.ts) instead of through the JSON decoder.
 */
export async function predictInstances(target: PredictionTarget, instances: readonly string[], values?: readonly unknown[]): Promise<RowOutcome[]> {
  if (instances.length === 0) return [];
  try {
    return (await runOnce(target, instances, values)).map((prediction) => ({ prediction }));
  } catch (err) {
    const error = toServingError(err);
    if (instances.length === 1) return [{ error }];
    if (target.splitOn !== undefined && !target.splitOn(error)) return instances.map(() => ({ error }));
    const half = Math.ceil(instances.length / 2);
    const first = await predictInstances(target, instances.slice(0, half), values?.slice(0, half));
    const second = await predictInstances(target, instances.slice(half), values?.slice(half));
    return [...first, ...second];
  }
}

async function runOnce(target: PredictionTarget, instances: readonly string[], values: readonly unknown[] | undefined): Promise<string[]> {
  const direct = values === undefined ? undefined : instanceTensors(values, target.signature);
  const inputs =
    direct !== undefined
      ? (signature: Signature) => (sameInputDtypes(signature, target.signature) ? direct : decodeTexts(instances, signature))
      : (signature: Signature) => decodeTexts(instances, signature);
  const response = await target.predictor.predict({ modelSpec: target.modelSpec, inputs });
  return predictionTexts(response.outputs, instances.length);
}

/** Whether tensors built for `b` are what the JSON decoder would build for `a` (the model may have changed). */
function sameInputDtypes(a: Signature, b: Signature): boolean {
  if (a === b) return true;
  if (a.inputs.size !== b.inputs.size) return false;
  for (const [name, info] of a.inputs) if (b.inputs.get(name)?.dtype !== info.dtype) return false;
  return true;
}

function decodeTexts(instances: readonly string[], signature: Signature): Map<string, Tensor> {
  const body = parsePredictBody(encoder.encode(`{"instances":[${instances.join(',')}]}`));
  return decodePredictInputs(body, signature.inputs).tensors;
}
