/**
 * What protobuf JSON holds that a message type does not define. Protobuf's own JSON parsers reject unknown
 * fields unless asked to ignore them (C++ `ignore_unknown_fields`, Python `ignore_unknown_fields=True`, Go
 * `DiscardUnknown`); statistics and anomalies written by a newer TFDV hold fields this copy of the protos may
 * not have, so their readers ignore them and say which. Unknown enum values are never ignored: dropping one
 * would silently change a value (a feature type would read as INT).
 */
import protobuf from 'protobufjs';

export interface UnknownContent {
  /** JSON paths of members no field matches, e.g. `datasets[0].features[2].numStats.fooBar`. */
  readonly fields: string[];
  /** JSON paths of enum names the enum does not define, with the name. */
  readonly enumValues: string[];
}

export function findUnknownContent(type: protobuf.Type, json: unknown): UnknownContent {
  const found: UnknownContent = { fields: [], enumValues: [] };
  walkMessage(type, json, '', found);
  return found;
}

function walkMessage(type: protobuf.Type, value: unknown, at: string, found: UnknownContent): void {
  // Well-known types (Any, Struct, …) have JSON forms of their own.
  if (type.fullName.startsWith('.google.protobuf.')) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const byJsonName = jsonNames(type);
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const path = at === '' ? key : `${at}.${key}`;
    const field = byJsonName.get(key);
    if (field === undefined) {
      found.fields.push(path);
      continue;
    }
    if (member === null) continue;
    field.resolve();
    if (field.map) {
      if (typeof member === 'object' && !Array.isArray(member)) {
        for (const [k, v] of Object.entries(member as Record<string, unknown>)) walkValue(field, v, `${path}[${JSON.stringify(k)}]`, found);
      }
    } else if (field.repeated && Array.isArray(member)) {
      member.forEach((item, i) => walkValue(field, item, `${path}[${i}]`, found));
    } else {
      walkValue(field, member, path, found);
    }
  }
}

function walkValue(field: protobuf.Field, value: unknown, at: string, found: UnknownContent): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) walkMessage(resolved, value, at, found);
  else if (resolved instanceof protobuf.Enum && typeof value === 'string' && !Object.hasOwn(resolved.values, value)) {
    found.enumValues.push(`${at} = "${value}"`);
  }
}

const namesCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** A type's fields by their proto name (snake_case) and their JSON name (lowerCamelCase). */
function jsonNames(type: protobuf.Type): Map<string, protobuf.Field> {
  let names = namesCache.get(type);
  if (names === undefined) {
    names = new Map();
    for (const field of type.fieldsArray) {
      names.set(field.name, field);
      names.set(field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), field);
    }
    namesCache.set(type, names);
  }
  return names;
}

/** A short list for a message: the first few paths, and how many more. */
export function listPaths(paths: readonly string[], limit = 5): string {
  const shown = paths.slice(0, limit).join(', ');
  return paths.length > limit ? `${shown} and ${paths.length - limit} more` : shown;
}
