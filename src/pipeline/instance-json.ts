/**
 * JSON text of instance values, as TF Serving's JSON reads them: non-finite numbers as the bare tokens NaN,
 * Infinity and -Infinity (JSON.stringify would write null), BigInt (Parquet INT64, big CSV integers) as exact
 * digits, bytes as {"b64": …}, a Date as epoch milliseconds (readers give dates as ISO-8601 text, see
 * readers/iso-dates.ts). Object members with no value are left out.
 */
import { encodeBase64 } from '../tensor/base64.js';

export function instanceJson(value: unknown): string {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return String(value);
      return value !== value ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    case 'bigint':
      return value.toString();
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += i === 0 ? instanceJson(value[i]) : `,${instanceJson(value[i])}`;
    return `${text}]`;
  }
  if (value instanceof Uint8Array) return `{"b64":"${encodeBase64(value)}"}`;
  if (value instanceof Date) return String(value.getTime());
  const object = value as Record<string, unknown>;
  let text = '{';
  for (const name in object) {
    if (!Object.hasOwn(object, name)) continue;
    const member = object[name];
    if (member === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${memberPrefix(name)}${instanceJson(member)}`;
  }
  return `${text}}`;
}

/** `"name":` of member names seen before: rows of one input share their few names. */
const prefixes = new Map<string, string>();
const MAX_CACHED_NAMES = 4096;

function memberPrefix(name: string): string {
  let prefix = prefixes.get(name);
  if (prefix === undefined) {
    prefix = `${JSON.stringify(name)}:`;
    if (prefixes.size < MAX_CACHED_NAMES) prefixes.set(name, prefix);
  }
  return prefix;
}
