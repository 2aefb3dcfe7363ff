/**
 * One row against a schema, as TFDV's `validate_instance` does it: the row's own statistics (a dataset of one
 * example) validated with the same checks as whole statistics, so every anomaly type, severity and description
 * is the one `millrace validate` reports. Dataset-level checks (example counts, drift and skew) do not apply
 * to a single row and are left out.
 *
 * Untyped text (CSV cells) is typed by the schema, as TFDV's CSV decoder does when given one; an integer is
 * accepted where the schema says FLOAT (JSON and CSV write 2.0 as 2). Nested lists count as their flattened
 * values — a tensor's elements — so `shape { dim { size: 2 } dim { size: 3 } }` accepts a 2×3 list.
 * `{"b64": "…"}` (TF Serving's encoding of bytes) is one BYTES value.
 */
import { classifyText, TypeRank, type Example, type FeatureValues } from './example-values.js';
import type { AnomalyType, Schema, SchemaFeatureType, Severity } from './schema-types.js';
import { compareCodePoints } from './sketches/misra-gries.js';
import type { DatasetFeatureStatisticsList, FeatureNameStatistics, StatsFeatureType } from './statistics-types.js';
import { validateStatistics } from './validate-statistics.js';

export interface RowAnomaly {
  /** The feature's serialized path (TFDV's anomaly key). */
  readonly feature: string;
  readonly type: AnomalyType;
  readonly severity: Severity;
  readonly short_description: string;
  readonly description: string;
}

/** An example (feature → value list) or a plain row object such as a JSON line or a prediction instance. */
export type RowRecord = Example | Readonly<Record<string, unknown>>;

export interface RowCheckOptions {
  /** Only features in this environment are checked (one of the schema's default_environment). */
  readonly environment?: string;
  /** Report features missing from the schema as WARNING instead of ERROR. */
  readonly newFeaturesAreWarnings?: boolean;
}

/** The anomalies of one row, one per reason, in feature order; empty when the row conforms. */
export function checkRow(record: RowRecord, schema: Schema, options: RowCheckOptions = {}): RowAnomaly[] {
  const declared = declaredTypes(schema);
  const features: FeatureNameStatistics[] = [];
  for (const [name, value] of entriesOf(record)) {
    const values = rowValues(value, declared.get(name));
    if (values !== undefined) features.push(singleRowStatistics(name, values));
  }
  features.sort((a, b) => compareCodePoints(a.path?.step[0] ?? '', b.path?.step[0] ?? ''));
  const statistics: DatasetFeatureStatisticsList = { datasets: [{ name: 'row', num_examples: 1, features }] };
  const anomalies = validateStatistics({
    statistics,
    schema,
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
    newFeaturesAreWarnings: options.newFeaturesAreWarnings === true,
  });
  const found: RowAnomaly[] = [];
  for (const [feature, info] of Object.entries(anomalies.anomaly_info)) {
    for (const r of info.reason) {
      found.push({ feature, type: r.type, severity: info.severity, short_description: r.short_description, description: r.description });
    }
  }
  return found;
}

/** The values of one feature in one row, typed. */
interface RowValues {
  readonly type: StatsFeatureType;
  readonly numbers: number[];
  readonly strings: string[];
  readonly invalidUtf8: number;
  /** Values of any type, for the value counts. */
  readonly count: number;
}

const schemaTypesCache = new WeakMap<Schema, Map<string, SchemaFeatureType>>();

function declaredTypes(schema: Schema): Map<string, SchemaFeatureType> {
  let types = schemaTypesCache.get(schema);
  if (types === undefined) {
    types = new Map();
    for (const f of schema.feature ?? []) if (f.name !== undefined && f.type !== undefined) types.set(f.name, f.type);
    schemaTypesCache.set(schema, types);
  }
  return types;
}

function entriesOf(record: RowRecord): Iterable<[string, unknown]> {
  return record instanceof Map ? (record as Example).entries() : Object.entries(record);
}

function isFeatureValues(value: unknown): value is FeatureValues {
  return typeof value === 'object' && value !== null && 'kind' in value && 'values' in value && Array.isArray((value as FeatureValues).values);
}

/** undefined = missing (null or absent), as in the statistics readers. */
function rowValues(value: unknown, declared: SchemaFeatureType | undefined): RowValues | undefined {
  if (value === null || value === undefined) return undefined;
  if (isFeatureValues(value)) {
    if (value.kind === 'text') return typedText(value.values.map(String), declared);
    if (value.kind === 'string' && (value.invalidUtf8 ?? 0) > 0) {
      return { type: 'STRING', numbers: [], strings: value.values.map(String), invalidUtf8: value.invalidUtf8 ?? 0, count: value.values.length };
    }
    // A float source (a Parquet DOUBLE column) stays FLOAT even for integral values, as in the statistics.
    return typedScalars(value.values, value.kind === 'float' ? 'FLOAT' : declared);
  }
  const leaves: unknown[] = [];
  flatten(value, leaves);
  return typedScalars(leaves, declared);
}

function flatten(value: unknown, into: unknown[]): void {
  if (Array.isArray(value)) for (const item of value) flatten(item, into);
  else into.push(value);
}

/** CSV cells: BYTES takes them as text; otherwise the widest of INT < FLOAT < STRING, an INT read as FLOAT when declared so. */
function typedText(cells: readonly string[], declared: SchemaFeatureType | undefined): RowValues {
  if (declared === 'BYTES') return { type: 'STRING', numbers: [], strings: [...cells], invalidUtf8: 0, count: cells.length };
  let rank: TypeRank = TypeRank.Unknown;
  const numbers: number[] = [];
  for (const cell of cells) {
    const typed = classifyText(cell);
    if (typed.rank > rank) rank = typed.rank;
    numbers.push(typed.value);
  }
  if (rank === TypeRank.String) return { type: 'STRING', numbers: [], strings: [...cells], invalidUtf8: 0, count: cells.length };
  const type = rank === TypeRank.Float || declared === 'FLOAT' ? 'FLOAT' : rank === TypeRank.Int ? 'INT' : emptyType(declared);
  return { type, numbers, strings: [], invalidUtf8: 0, count: cells.length };
}

/** Typed values (JSON, Parquet, tensors): numbers, booleans (0/1), strings, dates, bytes and {"b64": …}. */
function typedScalars(items: readonly unknown[], declared: SchemaFeatureType | undefined): RowValues {
  const numbers: number[] = [];
  const strings: string[] = [];
  let invalidUtf8 = 0;
  let allInts = true;
  let struct = false;
  for (const item of items) {
    if (typeof item === 'number') {
      numbers.push(item);
      if (!Number.isInteger(item)) allInts = false;
    } else if (typeof item === 'bigint') numbers.push(Number(item));
    else if (typeof item === 'boolean') numbers.push(item ? 1 : 0);
    else if (typeof item === 'string') strings.push(item);
    else if (item instanceof Date) numbers.push(item.getTime());
    else if (item instanceof Uint8Array) invalidUtf8 += pushBytes(item, strings);
    else if (isBase64(item)) invalidUtf8 += pushBytes(Buffer.from(item.b64, 'base64'), strings);
    else struct = true;
  }
  const count = items.length;
  if (struct) return { type: 'STRUCT', numbers: [], strings: [], invalidUtf8: 0, count };
  if (strings.length > 0 || invalidUtf8 > 0) {
    // Mixed numbers and strings make a STRING feature, numbers spelled as JSON would.
    return { type: 'STRING', numbers: [], strings: [...strings, ...numbers.map(String)], invalidUtf8, count };
  }
  if (numbers.length === 0) return { type: emptyType(declared), numbers, strings, invalidUtf8, count };
  return { type: allInts && declared !== 'FLOAT' ? 'INT' : 'FLOAT', numbers, strings, invalidUtf8, count };
}

function isBase64(item: unknown): item is { b64: string } {
  return typeof item === 'object' && item !== null && Object.keys(item).length === 1 && typeof (item as { b64?: unknown }).b64 === 'string';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Adds the UTF-8 text of some bytes; returns 1 when they are not UTF-8 (counted, as TFDV's invalid_utf8_count). */
function pushBytes(bytes: Uint8Array, strings: string[]): number {
  try {
    strings.push(strictUtf8.decode(bytes));
    return 0;
  } catch {
    return 1;
  }
}

/** An empty list has no values to type it: it takes the declared type. */
function emptyType(declared: SchemaFeatureType | undefined): StatsFeatureType {
  if (declared === 'FLOAT') return 'FLOAT';
  if (declared === 'BYTES') return 'STRING';
  if (declared === 'STRUCT') return 'STRUCT';
  return 'INT';
}

/** The exact statistics of one example's feature: the fields the schema checks read. */
function singleRowStatistics(name: string, values: RowValues): FeatureNameStatistics {
  const n = values.count;
  const common = { num_non_missing: 1, num_missing: 0, min_num_values: n, max_num_values: n, avg_num_values: n, tot_num_values: n };
  const base = { path: { step: [name] }, type: values.type };
  if (values.type === 'STRUCT') return { ...base, struct_stats: { common_stats: common } };
  if (values.type === 'STRING') {
    const counts = new Map<string, number>();
    for (const s of values.strings) counts.set(s, (counts.get(s) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(b[0], a[0]));
    return {
      ...base,
      string_stats: {
        common_stats: common,
        unique: counts.size,
        top_values: ranked.map(([value, frequency]) => ({ value, frequency })),
        rank_histogram: { buckets: ranked.map(([label, sample_count], rank) => ({ low_rank: rank, high_rank: rank, label, sample_count })) },
        ...(values.invalidUtf8 > 0 ? { invalid_utf8_count: values.invalidUtf8 } : {}),
      },
    };
  }
  let min = Infinity;
  let max = -Infinity;
  let numNan = 0;
  for (const x of values.numbers) {
    if (Number.isNaN(x)) numNan++;
    else {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const nanHistograms = numNan > 0 ? { histograms: [{ num_nan: numNan, type: 'STANDARD' as const }] } : {};
  if (values.numbers.length === numNan) return { ...base, num_stats: { common_stats: common, ...nanHistograms } };
  return { ...base, num_stats: { common_stats: common, min, max, ...nanHistograms } };
}
