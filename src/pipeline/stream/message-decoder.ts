/**
 * Turns a message body into the instance sent to the model, or says why it cannot be one. A body is one JSON
 * instance, in the shapes a line of a JSON lines input may take: an object with one field per named input, or
 * a bare value (a list or scalar) for a single-input signature. The optional shaping flags of batch prediction
 * (--included_fields, --excluded_fields, --instance_type) apply the same way. Every problem found here is the
 * message's own (bad JSON, wrong shape), so it is permanent: retrying cannot fix it.
 */
import type { Signature } from '../../runtime/signature.js';
import { checkInstance, signatureCellDtypes } from '../instance-check.js';
import { instanceJson } from '../instance-json.js';
import { InstanceShaper, type ShapingOptions } from '../instance-shaper.js';

/**
 * Decoded instances, in columns: `instances[i]` is an instance as JSON text and `values[i]` the same instance as
 * a value when JSON.parse read it exactly (which lets the model's input tensors be filled without parsing the
 * text again), or NO_VALUE. Columns rather than an object per message: a window decodes hundreds at a time.
 */
export interface InstanceColumns {
  readonly instances: string[];
  readonly values: unknown[];
}

/** Stands for "no exact value": a number of 16 or more digits may be past what a double holds exactly. */
export const NO_VALUE: unique symbol = Symbol('no exact value');
const LONG_NUMBER = /\d{16}/;

export type MessageShaping = Omit<ShapingOptions, 'keyField'>;

/**
 * UTF-8 text of a body, invalid sequences replaced. Buffer's decoder costs far less per call than TextDecoder
 * on bodies this small, and Redis and NATS hand bodies out as Buffers (or views that become one for free).
 */
function utf8(body: Uint8Array): string {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return buffer.toString('utf8');
}

export class MessageDecoder {
  private readonly shaper: InstanceShaper | undefined;

  constructor(
    private readonly signature: Signature,
    shaping: MessageShaping = {},
  ) {
    const shapes = shaping.includedFields !== undefined || shaping.excludedFields !== undefined || shaping.instanceType !== undefined;
    this.shaper = shapes ? new InstanceShaper(shaping, signatureCellDtypes(signature)) : undefined;
  }

  /** Appends the body's instance to `into`, or returns the problem (an INVALID_ARGUMENT message) and appends nothing. */
  decode(body: Uint8Array, into: InstanceColumns): string | undefined {
    const text = utf8(body).trim();
    if (text === '') return 'the message body is empty (expected one JSON instance)';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return `the message body is not valid JSON: ${(err as Error).message}`;
    }
    if (this.shaper === undefined) {
      const problem = checkInstance(value, this.signature);
      if (problem !== undefined) return problem;
      // The body's own text keeps numbers exactly as sent (JSON.parse would round big integers).
      into.instances.push(text);
      into.values.push(LONG_NUMBER.test(text) ? NO_VALUE : value);
      return undefined;
    }
    const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    const names = object === undefined ? [] : Object.keys(object);
    const shaped =
      object === undefined
        ? this.shaper.shape({ kind: 'value', position: 1, value })
        : this.shaper.shape({ kind: 'fields', position: 1, names, values: names.map((n) => object[n]) });
    if ('error' in shaped) return shaped.error;
    const problem = checkInstance(shaped.shaped.instance, this.signature);
    if (problem !== undefined) return problem;
    into.instances.push(instanceJson(shaped.shaped.instance));
    into.values.push(LONG_NUMBER.test(text) ? NO_VALUE : shaped.shaped.instance);
    return undefined;
  }
}

/** The body as text for a dead letter (invalid UTF-8 sequences replaced). */
export function bodyText(body: Uint8Array): string {
  return utf8(body);
}
