/**
 * Checks a shaped instance against the signature it will be fed to, before it joins a batch, so that a bad
 * row fails alone with a message about that row (a field that is missing or is no input, a string where a
 * number belongs, a list of the wrong shape) instead of failing its whole batch with a message about the batch.
 */
import type { Signature } from '../runtime/signature.js';
import type { DType } from '../tensor/dtype.js';
import type { TensorInfo } from '../tensor/tensor-info.js';
import { describe, type CellDtypes } from './instance-shaper.js';

/** The first problem of `instance` for `signature`, or undefined when it fits. */
export function checkInstance(instance: unknown, signature: Signature): string | undefined {
  let plan = plans.get(signature);
  if (plan === undefined) {
    plan = planOf(signature);
    plans.set(signature, plan);
  }
  const { inputs } = plan;
  if (!isNamedObject(instance)) {
    if (inputs.length === 1) return checkValue(instance, inputs[0]!, inputs[0]!.singleLabel);
    return `signature ${signature.key} has ${inputs.length} inputs (${plan.names}), so an instance must be an object with one field per input; got ${describe(instance)}`;
  }
  // Counting the fields that are inputs finds an extra one without listing the keys of every instance.
  let known = 0;
  for (let i = 0; i < inputs.length; i++) if (Object.hasOwn(instance, inputs[i]!.name)) known++;
  let fields = 0;
  for (const name in instance) if (Object.hasOwn(instance, name)) fields++;
  if (known !== fields) {
    for (const name of Object.keys(instance)) {
      if (!signature.inputs.has(name)) {
        return `field "${name}" is not an input of signature ${signature.key} (inputs: ${plan.names}); leave it out with --excluded_fields or pick inputs with --included_fields`;
      }
    }
  }
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const value = instance[input.name];
    if (value === undefined || value === null) return `no value for input "${input.name}"`;
    const problem = checkValue(value, input, input.fieldLabel);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** What checking needs of one input, worked out once per signature. */
interface InputPlan {
  readonly name: string;
  readonly info: TensorInfo;
  /** The per-instance dimensions (the input's shape without the batch dimension); undefined: any. */
  readonly expected: readonly number[] | undefined;
  readonly fieldLabel: string;
  readonly singleLabel: string;
}

interface SignaturePlan {
  readonly inputs: readonly InputPlan[];
  /** The input names, comma-separated, for messages. */
  readonly names: string;
}

const plans = new WeakMap<Signature, SignaturePlan>();

function planOf(signature: Signature): SignaturePlan {
  const inputs = [...signature.inputs].map(([name, info]) => ({
    name,
    info,
    expected: info.shape === null || info.shape.length === 0 ? undefined : info.shape.slice(1),
    fieldLabel: `field "${name}"`,
    singleLabel: `input "${name}"`,
  }));
  return { inputs, names: [...signature.inputs.keys()].join(', ') };
}

/** CSV cell dtypes as the signature asks for them. */
export function signatureCellDtypes(signature: Signature): CellDtypes {
  const only = signature.inputs.size === 1 ? [...signature.inputs.values()][0]!.dtype : undefined;
  return {
    forField: (name) => signature.inputs.get(name)?.dtype,
    forArrayElement: () => only,
  };
}

function isNamedObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date) && !isBase64(value);
}

function isBase64(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'b64' && typeof (value as { b64: unknown }).b64 === 'string';
}

function checkValue(value: unknown, input: InputPlan, label: string): string | undefined {
  const { info, expected } = input;
  // A single value where one is expected: no dimensions to record.
  if (!Array.isArray(value) && (expected === undefined || expected.length === 0)) return checkLeaf(value, info.dtype, label);
  const dims: number[] = [];
  const problem = walk(value, info.dtype, dims, 0, label);
  if (problem !== undefined) return problem;
  if (expected === undefined) return undefined;
  const fits = expected.length === dims.length && expected.every((d, i) => d < 0 || d === dims[i]);
  if (fits) return undefined;
  return `${label}: expected ${shapeText(expected)} per instance (input shape [${info.shape!.join(', ')}]), got ${shapeText(dims)}`;
}

/** Records the dimensions of nested lists in `dims` and checks every element's type; the first problem wins. */
function walk(value: unknown, dtype: DType, dims: number[], depth: number, label: string): string | undefined {
  if (!Array.isArray(value)) {
    if (depth < dims.length) return `${label}: nested lists of different depths`;
    return checkLeaf(value, dtype, label);
  }
  if (depth === dims.length) dims.push(value.length);
  else if (dims[depth] !== value.length) return `${label}: ragged nested lists (lengths ${dims[depth]} and ${value.length} at depth ${depth + 1})`;
  for (const item of value) {
    const problem = walk(item, dtype, dims, depth + 1, label);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function checkLeaf(value: unknown, dtype: DType, label: string): string | undefined {
  if (value === null || value === undefined) return `${label}: has no value`;
  switch (dtype) {
    case 'DT_STRING':
      if (typeof value === 'string' || value instanceof Uint8Array || (typeof value === 'object' && isBase64(value))) return undefined;
      return `${label}: expected a string (${dtype}), got ${describe(value)}`;
    case 'DT_BOOL':
      return typeof value === 'boolean' ? undefined : `${label}: expected true or false (${dtype}), got ${describe(value)}`;
    case 'DT_FLOAT':
    case 'DT_DOUBLE':
    case 'DT_HALF':
      return typeof value === 'number' || typeof value === 'bigint' ? undefined : `${label}: expected a number (${dtype}), got ${describe(value)}`;
    case 'DT_INVALID':
      return undefined;
    default:
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return undefined;
      return `${label}: expected an integer (${dtype}), got ${describe(value)}`;
  }
}

function shapeText(dims: readonly number[]): string {
  if (dims.length === 0) return 'a single value';
  return `a list of shape [${dims.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}
