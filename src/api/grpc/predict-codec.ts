// PredictRequest / PredictResponse read and written by hand around the TensorProto codec, so tensors go between
// the wire and typed arrays directly. Everything else in these messages is small and uses protobufjs.
import type { ResolvedModelSpec } from '../../serving/predictor.js';
import { lengthDelimitedSize, WIRE_LEN, WireReader, WireWriter } from '../../tensor/protobuf-wire.js';
import { planTensorProto, type TensorProtoEncoding, type TensorProtoPlan } from '../../tensor/tensor-proto.js';
import type { Tensor } from '../../tensor/tensor.js';
import { utf8BytesOf, utf8Text } from '../../tensor/wire-text.js';
import { modelSpecMessage } from './model-spec-message.js';
import { decodeModelSpec, encodeModelSpec } from './model-spec-wire.js';
import type { MessageCodec } from './proto-service.js';
import type { ModelSpecMessage } from './tf-serving-messages.js';

/** A decoded PredictRequest; the tensors stay serialized until the signature says what they should be. */
export interface PredictRequestMessage {
  readonly model_spec: ModelSpecMessage | undefined;
  /** Serialized TensorProto by alias, as views of the request bytes. */
  readonly inputs: ReadonlyMap<string, Uint8Array>;
  readonly output_filter: readonly string[];
}

/** What a Predict handler returns; the response codec serializes it. */
export interface PredictResult {
  readonly modelSpec: ResolvedModelSpec;
  readonly outputs: ReadonlyMap<string, Tensor>;
}

// PredictRequest: model_spec = 1, inputs = 2 (map entries: key = 1, value = 2), output_filter = 3.
// PredictResponse: outputs = 1 (map entries alike), model_spec = 2.
const F_MODEL_SPEC_REQUEST = 1;
const F_INPUTS = 2;
const F_OUTPUT_FILTER = 3;
const F_OUTPUTS = 1;
const F_MODEL_SPEC_RESPONSE = 2;
const F_ENTRY_KEY = 1;
const F_ENTRY_VALUE = 2;

const EMPTY: Uint8Array = new Uint8Array(0);

export function decodePredictRequest(bytes: Uint8Array): PredictRequestMessage {
  const r = new WireReader(bytes);
  let modelSpec: ModelSpecMessage | undefined;
  const inputs = new Map<string, Uint8Array>();
  const outputFilter: string[] = [];
  while (!r.atEnd()) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== WIRE_LEN || field < F_MODEL_SPEC_REQUEST || field > F_OUTPUT_FILTER) {
      r.skip(tag & 7);
      continue;
    }
    const payload = r.bytes();
    if (field === F_MODEL_SPEC_REQUEST) modelSpec = decodeModelSpec(payload);
    else if (field === F_INPUTS) {
      const { key, value } = readMapEntry(payload);
      // Map semantics: a repeated key keeps its last value.
      inputs.set(key, value);
    } else outputFilter.push(utf8Text(payload));
  }
  return { model_spec: modelSpec, inputs, output_filter: outputFilter };
}

function readMapEntry(payload: Uint8Array): { key: string; value: Uint8Array } {
  const r = new WireReader(payload);
  let key = '';
  let value = EMPTY;
  while (!r.atEnd()) {
    const tag = r.uint32();
    if ((tag & 7) !== WIRE_LEN) r.skip(tag & 7);
    else if (tag >>> 3 === F_ENTRY_KEY) key = utf8Text(r.bytes());
    else if (tag >>> 3 === F_ENTRY_VALUE) value = r.bytes();
    else r.skip(WIRE_LEN);
  }
  return { key, value };
}

/** Serializes a PredictResponse in one buffer whose size is computed before anything is written. */
export function encodePredictResponse(result: PredictResult, encoding: TensorProtoEncoding): Uint8Array {
  const entries: Array<{ key: Uint8Array; tensor: TensorProtoPlan; size: number }> = [];
  let total = 0;
  for (const [alias, tensor] of result.outputs) {
    const key = utf8BytesOf(alias);
    const plan = planTensorProto(tensor, encoding);
    const size = lengthDelimitedSize(F_ENTRY_KEY, key.length) + lengthDelimitedSize(F_ENTRY_VALUE, plan.byteLength);
    entries.push({ key, tensor: plan, size });
    total += lengthDelimitedSize(F_OUTPUTS, size);
  }
  const spec = encodeModelSpec(modelSpecMessage(result.modelSpec));
  total += lengthDelimitedSize(F_MODEL_SPEC_RESPONSE, spec.length);
  const w = new WireWriter(total);
  for (const entry of entries) {
    w.tag(F_OUTPUTS, WIRE_LEN);
    w.uint32(entry.size);
    w.lengthDelimited(F_ENTRY_KEY, entry.key);
    w.tag(F_ENTRY_VALUE, WIRE_LEN);
    w.uint32(entry.tensor.byteLength);
    entry.tensor.writeTo(w);
  }
  w.lengthDelimited(F_MODEL_SPEC_RESPONSE, spec);
  return w.finish();
}

/** The server halves of Predict's codecs for serviceDefinition(): requests are only decoded, responses only encoded. */
export function predictCodecs(encoding: TensorProtoEncoding): { request: MessageCodec<PredictRequestMessage>; response: MessageCodec<PredictResult> } {
  return {
    request: {
      decode: decodePredictRequest,
      encode: () => {
        throw new Error('PredictRequest is only decoded here');
      },
    },
    response: {
      encode: (result) => encodePredictResponse(result, encoding),
      decode: () => {
        throw new Error('PredictResponse is only encoded here');
      },
    },
  };
}
