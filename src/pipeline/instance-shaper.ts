/**
 * Turns an input record into the instance sent to the model, following Vertex AI's `instanceConfig`:
 * `keyField` is taken out of the instance and passed through to the output; `includedFields` picks fields (and
 * fixes their order), `excludedFields` drops some (they come back in the output when there is no key, so rows
 * can still be joined); `instanceType` `object` keeps named fields (named model inputs) and `array` lists the
 * values in order (one row of a single input). Without an instance type a record stays as read: fields become
 * an object, a JSON array or scalar line is the instance itself.
 */
import type { DType } from '../tensor/dtype.js';
import { typeCell } from './csv-cell-typing.js';
import type { FieldsRecord, InputRecord } from '../readers/input-record.js';

export type InstanceType = 'object' | 'array';

export interface ShapingOptions {
  readonly keyField?: string | undefined;
  readonly includedFields?: readonly string[] | undefined;
  readonly excludedFields?: readonly string[] | undefined;
  readonly instanceType?: InstanceType | undefined;
}

/**
 * Which dtype a CSV cell should be read as: by field name for object instances, the single input's dtype for
 * array instances; undefined for "no model, or no such input" (Vertex's unquoted-number rule).
 */
export interface CellDtypes {
  forField(name: string): DType | undefined;
  forArrayElement(): DType | undefined;
}

export const NO_DTYPES: CellDtypes = { forField: () => undefined, forArrayElement: () => undefined };

export interface ShapedInstance {
  readonly instance: unknown;
  /** Present when --key_field is set. */
  readonly key?: unknown;
  /** Excluded fields with values, when there is no key. */
  readonly excluded?: Readonly<Record<string, unknown>>;
  /** An array instance's values by field name (when the shaper keeps names), for checks by name. */
  readonly named?: Readonly<Record<string, unknown>>;
}

export type ShapeResult = { readonly shaped: ShapedInstance } | { readonly error: string; readonly key?: unknown };

export class InstanceShaper {
  private readonly excluded: ReadonlySet<string>;
  private readonly flagsNeedFields: string | undefined;
  /** The fields picked for the last list of names seen. */
  private pickedFor: readonly string[] | undefined;
  private picked: readonly number[] = [];

  /** `keepNames`: array instances also keep their values by field name (ShapedInstance.named). */
  constructor(
    private readonly options: ShapingOptions,
    private readonly dtypes: CellDtypes = NO_DTYPES,
    private readonly keepNames = false,
  ) {
    this.excluded = new Set(options.excludedFields ?? []);
    const used = [
      options.keyField !== undefined ? '--key_field' : '',
      options.includedFields !== undefined ? '--included_fields' : '',
      options.excludedFields !== undefined ? '--excluded_fields' : '',
    ].filter((f) => f !== '');
    this.flagsNeedFields = used.length > 0 ? used.join(', ') : undefined;
  }

  shape(record: Exclude<InputRecord, { kind: 'unreadable' }>): ShapeResult {
    if (record.kind === 'value') {
      const flags = this.flagsNeedFields ?? (this.options.instanceType === 'object' ? '--instance_type object' : undefined);
      if (flags !== undefined) return { error: `${flags} needs a record with named fields, but this one is ${describe(record.value)}` };
      return { shaped: { instance: record.value } };
    }
    return this.shapeFields(record);
  }

  private shapeFields(record: FieldsRecord): ShapeResult {
    const { keyField, includedFields } = this.options;
    let key: unknown;
    if (keyField !== undefined) {
      const i = record.names.indexOf(keyField);
      if (i < 0 || record.values[i] === undefined || record.values[i] === null) return { error: `missing key field "${keyField}"` };
      key = record.values[i];
      if (record.quoted !== undefined) {
        const typed = this.cell(record, i, undefined);
        if ('error' in typed) return { error: `key field "${keyField}": ${typed.error}` };
        key = typed.value;
      }
    }
    const withKey = (error: string): ShapeResult => this.failure(error, key);
    let picked: readonly number[];
    if (record.names === this.pickedFor) picked = this.picked;
    else {
      const fields: number[] = [];
      if (includedFields !== undefined) {
        for (const name of includedFields) {
          const i = record.names.indexOf(name);
          if (i < 0) return withKey(`missing field "${name}" (named in --included_fields)`);
          fields.push(i);
        }
      } else {
        record.names.forEach((name, i) => {
          if (name !== keyField && !this.excluded.has(name)) fields.push(i);
        });
      }
      // Readers that share one list of names between records (Parquet, CSV) pick the same fields every time.
      this.pickedFor = record.names;
      this.picked = fields;
      picked = fields;
    }
    const array = this.options.instanceType === 'array';
    const arrayDtype = array ? this.dtypes.forArrayElement() : undefined;
    const values: unknown[] = [];
    const object: Record<string, unknown> = {};
    // Only CSV cells are text still to be typed; other readers' values go in as they are.
    const quoted = record.quoted;
    for (let p = 0; p < picked.length; p++) {
      const i = picked[p]!;
      const name = record.names[i]!;
      let value = record.values[i];
      if (value === undefined || value === null) {
        if (array) return this.failure(`field "${name}" has no value, and --instance_type array needs every value`, key);
        continue;
      }
      if (quoted !== undefined && typeof value === 'string') {
        const typed = typeCell(value, quoted[i] ?? false, array ? arrayDtype : this.dtypes.forField(name));
        if ('error' in typed) return this.failure(`field "${name}": ${typed.error}`, key);
        value = typed.value;
      }
      if (array) values.push(value);
      if (!array || this.keepNames) object[name] = value;
    }
    const shaped: { instance: unknown; key?: unknown; excluded?: Record<string, unknown>; named?: Record<string, unknown> } = { instance: array ? values : object };
    if (array && this.keepNames) shaped.named = object;
    if (keyField !== undefined) shaped.key = key;
    else if (this.excluded.size > 0) {
      const excluded: Record<string, unknown> = {};
      record.names.forEach((name, i) => {
        if (this.excluded.has(name) && record.values[i] !== undefined) {
          const typed = this.cell(record, i, undefined);
          excluded[name] = 'error' in typed ? record.values[i] : typed.value;
        }
      });
      shaped.excluded = excluded;
    }
    return { shaped };
  }

  /** A shaping error, with the key when there is one (so the errors file can name the row). */
  private failure(error: string, key: unknown): ShapeResult {
    return this.options.keyField === undefined ? { error } : { error, key };
  }

  /** A field's value, typed when it is CSV text. */
  private cell(record: FieldsRecord, i: number, dtype: DType | undefined): { value: unknown } | { error: string } {
    const value = record.values[i];
    if (record.quoted === undefined || typeof value !== 'string') return { value };
    return typeCell(value, record.quoted[i] ?? false, dtype);
  }
}

/** "an array of 3", "the number 5", … for messages about a record's shape. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value === 'bigint' ? 'number' : typeof value} ${String(value)}`;
}
