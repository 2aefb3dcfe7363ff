// What every Predictor checks of a predict request against the signature, with TF Serving's texts: the local
// predictor before it runs the model, the remote one where its wire format would otherwise hide a mistake.
import { ServingError } from '../errors/serving-error.js';
import type { Signature } from '../runtime/signature.js';
import { dtypeInfo } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

const sortedList = (names: Iterable<string>): string => [...names].sort().join(',');

/** The inputs sent must be exactly the signature's inputs (TF Serving's predict_util text). */
export function checkInputSet(signature: Signature, inputs: ReadonlyMap<string, Tensor>): void {
  if (inputs.size === signature.inputs.size && everyKeyIn(inputs, signature.inputs)) return;
  const expected = new Set(signature.inputs.keys());
  const sent = new Set(inputs.keys());
  const extra = [...sent].filter((n) => !expected.has(n));
  const missing = [...expected].filter((n) => !sent.has(n));
  if (extra.length === 0 && missing.length === 0) return;
  throw new ServingError(
    'INVALID_ARGUMENT',
    `input size does not match signature: ${sent.size}!=${expected.size} len({${sortedList(sent)}}) != len({${sortedList(expected)}}). ` +
      `Sent extra: {${sortedList(extra)}}. Missing but required: {${sortedList(missing)}}.`,
  );
}

function everyKeyIn(inputs: ReadonlyMap<string, unknown>, known: ReadonlyMap<string, unknown>): boolean {
  for (const name of inputs.keys()) if (!known.has(name)) return false;
  return true;
}

/** The output aliases to return (undefined: all of them); an unknown or repeated alias is refused. */
export function checkOutputFilter(signature: Signature, filter: readonly string[] | undefined): readonly string[] | undefined {
  if (filter === undefined || filter.length === 0) return undefined;
  const seen = new Set<string>();
  for (const alias of filter) {
    if (!signature.outputs.has(alias)) {
      throw new ServingError(
        'INVALID_ARGUMENT',
        `output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${sortedList(signature.outputs.keys())}}.`,
      );
    }
    if (seen.has(alias)) throw new ServingError('INVALID_ARGUMENT', `duplicate output tensor alias: ${alias}`);
    seen.add(alias);
  }
  return filter;
}

/** Each input must have its signature's dtype (TF's session text, with the input's place among the sorted aliases). */
export function checkInputDtypes(signature: Signature, inputs: ReadonlyMap<string, Tensor>): void {
  const aliases = [...signature.inputs.keys()].sort();
  for (const [alias, tensor] of inputs) {
    const expected = signature.inputs.get(alias)?.dtype;
    if (expected === undefined || expected === 'DT_INVALID' || expected === tensor.dtype) continue;
    throw new ServingError(
      'INVALID_ARGUMENT',
      `Expects arg[${aliases.indexOf(alias)}] to be ${dtypeInfo(expected).tfShortName} but ${dtypeInfo(tensor.dtype).tfShortName} is provided`,
    );
  }
}
