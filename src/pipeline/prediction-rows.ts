/**
 * The prediction of each row of a batch as JSON text, exactly as TF Serving writes one element of a row-format
 * response's `predictions` (the value of a single output, or an object of all outputs; floats in TF Serving's
 * decimal text; `…_bytes` outputs as base64), written by the same response codec the REST API uses.
 */
import { invalidArgument } from '../errors/serving-error.js';
import { encodePredictionRows } from '../tensor/tf-json-predict-response.js';
import type { Tensor } from '../tensor/tensor.js';

export function predictionTexts(outputs: ReadonlyMap<string, Tensor>, batch: number): string[] {
  for (const [name, tensor] of outputs) {
    if (tensor.shape.length === 0 || tensor.shape[0] !== batch) {
      throw invalidArgument(`model output "${name}" has shape [${tensor.shape.join(', ')}], which is not one row per instance (batch of ${batch})`);
    }
  }
  return encodePredictionRows(outputs);
}
