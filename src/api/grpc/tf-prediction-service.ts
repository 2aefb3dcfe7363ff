// tensorflow.serving.PredictionService over a Predictor: decode, call, encode, with TF Serving's texts
// (model_servers/prediction_service_impl.cc, servables/tensorflow/predict_util.cc, get_model_metadata_impl.cc).
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { ServingError, invalidArgument, toServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import type { ServingMetrics } from '../../metrics/serving-metrics.js';
import type { Signature } from '../../runtime/signature.js';
import type { CallOptions, Predictor } from '../../serving/predictor.js';
import { dtypeInfo } from '../../tensor/dtype.js';
import { decodeTensorProto, type TensorProtoEncoding } from '../../tensor/tensor-proto.js';
import type { Tensor } from '../../tensor/tensor.js';
import { classificationResultMessage, examplesFromInput, regressionResultMessage } from './classify-regress-messages.js';
import { unary } from './grpc-call.js';
import { modelSpecFromMessage, modelSpecMessage, requireModelSpec } from './model-spec-message.js';
import { multiInference } from './multi-inference.js';
import { predictCodecs, type PredictRequestMessage, type PredictResult } from './predict-codec.js';
import { serviceDefinition } from './proto-service.js';
import { servingService } from './serving-protos.js';
import { signatureDefMapAny } from './signature-def-map.js';
import type {
  ClassificationResponseMessage,
  ExamplesRequestMessage,
  GetModelMetadataRequestMessage,
  GetModelMetadataResponseMessage,
  MultiInferenceRequestMessage,
  MultiInferenceResponseMessage,
  RegressionResponseMessage,
} from './tf-serving-messages.js';

export interface PredictionServiceOptions {
  /** `--enable_serialization_as_tensor_content`: Predict outputs as raw bytes instead of typed `*_val` fields. */
  readonly tensorEncoding: TensorProtoEncoding;
  /** TF Serving's request_count and request_latency, entrypoint GRPC (Predict, Classify, Regress, as upstream). */
  readonly metrics?: ServingMetrics | undefined;
}

const SIGNATURE_DEF_FIELD = 'signature_def';

export function tfPredictionService(
  predictor: Predictor,
  options: PredictionServiceOptions,
  logger: Logger,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const definition = serviceDefinition(servingService('tensorflow.serving.PredictionService'), {
    Predict: predictCodecs(options.tensorEncoding),
  });
  const measured = measuredBy(options.metrics);
  const implementation: UntypedServiceImplementation = {
    Predict: unary<PredictRequestMessage, PredictResult>(
      'Predict',
      logger,
      // Not async: the Predictor's own promise is handed on, with no extra promise and ticks per call. A throw
      // here reaches the client as its status through `measured` and `unary`.
      measured('Predict', (r) => r.modelSpec.version, (request, call) => {
        const modelSpec = modelSpecFromMessage(requireModelSpec(request.model_spec));
        // Field by field: an object spread costs microseconds per call here.
        return predictor.predict({
          deadline: call.deadline,
          signal: call.signal,
          modelSpec,
          outputFilter: request.output_filter,
          inputs: (signature) => decodePredictInputs(request.inputs, signature),
        });
      }),
    ),

    Classify: unary<ExamplesRequestMessage, ClassificationResponseMessage>(
      'Classify',
      logger,
      measured('Classify', (r) => r.model_spec.version?.value, async (request, call) => {
        const modelSpec = modelSpecFromMessage(requireModelSpec(request.model_spec));
        const response = await predictor.classify({ ...call, modelSpec, ...examplesFromInput(request.input) });
        return { model_spec: modelSpecMessage(response.modelSpec), result: classificationResultMessage(response.results) };
      }),
    ),

    Regress: unary<ExamplesRequestMessage, RegressionResponseMessage>(
      'Regress',
      logger,
      measured('Regress', (r) => r.model_spec.version?.value, async (request, call) => {
        const modelSpec = modelSpecFromMessage(requireModelSpec(request.model_spec));
        const response = await predictor.regress({ ...call, modelSpec, ...examplesFromInput(request.input) });
        return { model_spec: modelSpecMessage(response.modelSpec), result: regressionResultMessage(response.values) };
      }),
    ),

    MultiInference: unary<MultiInferenceRequestMessage, MultiInferenceResponseMessage>('MultiInference', logger, (request, call) =>
      multiInference(predictor, request, call),
    ),

    GetModelMetadata: unary<GetModelMetadataRequestMessage, GetModelMetadataResponseMessage>('GetModelMetadata', logger, async (request) => {
      const spec = requireModelSpec(request.model_spec);
      if (request.metadata_field.length === 0) throw invalidArgument('GetModelMetadataRequest must specify at least one metadata_field');
      for (const field of request.metadata_field) {
        // Upstream's format string has a `%s` that its StrCat never fills; the field is named here, as the reference says.
        if (field !== SIGNATURE_DEF_FIELD) throw invalidArgument(`Metadata field ${field} is not supported`);
      }
      const metadata = await predictor.metadata(modelSpecFromMessage(spec));
      return { model_spec: modelSpecMessage(metadata.modelSpec), metadata: { [SIGNATURE_DEF_FIELD]: signatureDefMapAny(metadata.signatures) } };
    }),
  };
  return { definition, implementation };
}

type Handler<Request, Response> = (request: Request, call: CallOptions) => Promise<Response>;

/** Wraps a handler so that it counts the request and records the latency of a success, as TF Serving does for gRPC. */
function measuredBy(metrics: ServingMetrics | undefined) {
  return <Request extends { readonly model_spec?: { name?: string } | undefined }, Response>(
    api: string,
    versionOf: (response: Response) => number | string | undefined,
    handler: Handler<Request, Response>,
  ): Handler<Request, Response> => {
    if (metrics === undefined) return handler;
    return async (request, call) => {
      const started = performance.now();
      const modelName = request.model_spec?.name ?? '';
      try {
        const response = await handler(request, call);
        metrics.countRequest(modelName, 'OK', 'GRPC');
        metrics.observeRequestLatency(modelName, String(versionOf(response) ?? ''), api, 'GRPC', (performance.now() - started) * 1000);
        return response;
      } catch (err) {
        metrics.countRequest(modelName, toServingError(err).code, 'GRPC');
        throw err;
      }
    };
  };
}

/**
 * The request's tensors for `signature`, with predict_util.cc's checks: an alias the signature lacks (when the
 * counts match; otherwise the Predictor reports the whole set), a TensorProto that does not parse, a dtype other
 * than the signature's (TF's session text).
 */
function decodePredictInputs(inputs: ReadonlyMap<string, Uint8Array>, signature: Signature): Map<string, Tensor> {
  // Only error texts need the sorted aliases.
  const aliases = (): string[] => [...signature.inputs.keys()].sort();
  const tensors = new Map<string, Tensor>();
  for (const [alias, bytes] of inputs) {
    const info = signature.inputs.get(alias);
    if (info === undefined && inputs.size === signature.inputs.size) {
      throw invalidArgument(`input tensor alias not found in signature: ${alias}. Inputs expected to be in the set {${aliases().join(',')}}.`);
    }
    let tensor: Tensor;
    try {
      tensor = decodeTensorProto(bytes);
    } catch (err) {
      if (err instanceof ServingError) throw new ServingError(err.code, `tensor parsing error: ${alias}: ${err.message}`);
      throw err;
    }
    if (info !== undefined && tensor.dtype !== info.dtype) {
      throw invalidArgument(
        `Expects arg[${aliases().indexOf(alias)}] to be ${dtypeInfo(info.dtype).tfShortName} but ${dtypeInfo(tensor.dtype).tfShortName} is provided`,
      );
    }
    tensors.set(alias, tensor);
  }
  return tensors;
}
