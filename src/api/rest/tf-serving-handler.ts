import { ServingError } from '../../errors/serving-error.js';
import type { CallOptions, Predictor } from '../../serving/predictor.js';
import { SignatureNotFoundError } from '../../serving/signature-not-found.js';
import { decodePredictInputs, encodePredictResponse, parsePredictBody } from '../../tensor/tf-json-predict.js';
import { encodeClassifyResponse, encodeRegressResponse, parseExamplesBody } from '../../tensor/tf-json-examples.js';
import { modelMetadataJson, modelStatusJson } from './tf-serving-json.js';
import type { TfServingRoute } from './tf-serving-route.js';

/** The JSON text of a success, and the version that answered (for metrics). */
export interface RestAnswer {
  readonly text: string;
  readonly version?: number | undefined;
}

/**
 * TF Serving's REST API over a Predictor: decode, call, encode. Returns the JSON text of a success;
 * failures are thrown as ServingErrors for the server to put in the `{"error": …}` envelope.
 */
export function handleTfServingRequest(predictor: Predictor, route: TfServingRoute, body: Uint8Array, options: CallOptions): Promise<RestAnswer> {
  switch (route.kind) {
    case 'status':
      // TF Serving's status API ignores labels.
      return predictor.status({ name: route.name, version: route.version }).then((statuses) => ({ text: modelStatusJson(statuses) }));
    case 'metadata':
      return predictor.metadata({ name: route.name, version: route.version, label: route.label }).then((meta) => ({
        text: modelMetadataJson(meta.modelSpec.name, meta.modelSpec.version, meta.signatures),
        version: meta.modelSpec.version,
      }));
    case 'infer':
      if (route.verb === 'predict') return predict(predictor, route, body, options);
      return classifyOrRegress(predictor, route.verb, { name: route.name, version: route.version, label: route.label }, body, options);
  }
}

// Objects on this path are written out field by field: an object spread (`{...options}`) costs
// microseconds here, more than decoding a one-row body.
async function predict(predictor: Predictor, route: TfServingRoute, body: Uint8Array, options: CallOptions): Promise<RestAnswer> {
  const parsed = parsePredictBody(body);
  let format: 'row' | 'columnar' = 'row';
  try {
    const response = await predictor.predict({
      deadline: options.deadline,
      signal: options.signal,
      modelSpec: { name: route.name, version: route.version, label: route.label, signatureName: parsed.signatureName },
      inputs: (signature) => {
        try {
          const decoded = decodePredictInputs(parsed, signature.inputs);
          format = decoded.format;
          return decoded.tensors;
        } finally {
          // The tensors are copies: the token arrays can serve the next request at once, even while this one
          // waits for its batch.
          parsed.tape.release();
        }
      },
    });
    return { text: encodePredictResponse(format, response.outputs), version: response.modelSpec.version };
  } catch (err) {
    if (err instanceof SignatureNotFoundError) {
      throw new ServingError('INVALID_ARGUMENT', `Serving signature name: "${err.signatureName}" not found in signature def`);
    }
    throw err;
  } finally {
    // When the inputs were never decoded (unknown model or signature).
    parsed.tape.release();
  }
}

async function classifyOrRegress(
  predictor: Predictor,
  verb: 'classify' | 'regress',
  spec: { name: string; version?: number | undefined; label?: string | undefined },
  body: Uint8Array,
  options: CallOptions,
): Promise<RestAnswer> {
  const parsed = parseExamplesBody(body, verb);
  const request = {
    deadline: options.deadline,
    signal: options.signal,
    modelSpec: { name: spec.name, version: spec.version, label: spec.label, signatureName: parsed.signatureName },
    examples: parsed.examples,
    context: parsed.context,
  };
  if (verb === 'classify') {
    const response = await predictor.classify(request);
    return { text: encodeClassifyResponse(response.results), version: response.modelSpec.version };
  }
  const response = await predictor.regress(request);
  return { text: encodeRegressResponse(response.values), version: response.modelSpec.version };
}
