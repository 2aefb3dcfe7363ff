/**
 * The example model shared by every input format, as in TFDV: an example maps feature names to value lists.
 * A name that is absent is missing; a name with an empty list is present with no values.
 */
export type ValueKind =
  /** Integers (JSON integral numbers, Parquet INT32/INT64, booleans as 0/1, timestamps as epoch ms). */
  | 'int'
  /** Floating point numbers. */
  | 'float'
  /** Strings known to be strings (JSON strings, Parquet UTF8/BYTE_ARRAY). */
  | 'string'
  /** Untyped text (CSV cells): each value is typed by TFDV's CSV rules, INT < FLOAT < STRING. */
  | 'text';

export interface FeatureValues {
  readonly kind: ValueKind;
  readonly values: readonly (number | string)[];
  /**
   * The source fixes the feature's type for the whole input (Parquet columns), so numbers can skip the
   * string summaries that only matter if the feature turns out to be STRING.
   */
  readonly fixedType?: boolean;
  /** Strings read from bytes: how many were not UTF-8 (and stand as a placeholder in `values`). */
  readonly invalidUtf8?: number;
  /** Strings read from bytes: their total length in bytes as read, when it differs from their text's. */
  readonly byteLength?: number;
}

export type Example = ReadonlyMap<string, FeatureValues>;

/** TFDV's stand-in for a bytes value that is not UTF-8. */
export const BYTES_VALUE_PLACEHOLDER = '__BYTES_VALUE__';

/** Widest-type lattice of TFDV's CSV decoder: UNKNOWN < INT < FLOAT < STRING. */
export const enum TypeRank {
  Unknown = 0,
  Int = 1,
  Float = 2,
  String = 3,
}

const INT_TEXT = /^\s*[+-]?\d+\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*$/i;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Types one CSV cell the way tfx_bsl does: int64-parsable → INT, float-parsable (nan, inf, 1e3) → FLOAT, else STRING. */
export function classifyText(text: string): { rank: TypeRank; value: number } {
  if (INT_TEXT.test(text)) {
    const big = BigInt(text.trim());
    if (big >= INT64_MIN && big <= INT64_MAX) return { rank: TypeRank.Int, value: Number(big) };
    return { rank: TypeRank.String, value: NaN };
  }
  if (FLOAT_TEXT.test(text)) return { rank: TypeRank.Float, value: parseFloatText(text) };
  return { rank: TypeRank.String, value: NaN };
}

function parseFloatText(text: string): number {
  const t = text.trim().toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body === 'nan') return NaN;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  return Number(t);
}
