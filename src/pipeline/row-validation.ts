/**
 * The data gate of a batch job (`--validate_with schema`): each row's fields, as they go into the instance, checked
 * against a TFDV schema with checkRow (types, domains, value counts and presence, ranges — every check that applies
 * to one row). `flag` predicts the row anyway and lists its anomalies on its output line; `refuse` sends it to the
 * errors output instead, with the anomalies as the error.
 */
import { createHash } from 'node:crypto';
import { ServingError } from '../errors/serving-error.js';
import { checkRow, type RowAnomaly } from '../validation/row-schema-check.js';
import type { Schema } from '../validation/schema-types.js';

export const VALIDATION_MODES = ['flag', 'refuse'] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

/** Plain data, so worker threads get it as it is. */
export interface RowValidation {
  readonly schema: Schema;
  readonly mode: ValidationMode;
  /** Only features of this environment of the schema are checked (e.g. SERVING, where labels are absent). */
  readonly environment?: string | undefined;
  /** The schema file and a digest of its contents, which a resumed job must match. */
  readonly source: { readonly file: string; readonly sha256: string };
}

export function parseValidationMode(name: string): ValidationMode {
  if ((VALIDATION_MODES as readonly string[]).includes(name)) return name as ValidationMode;
  throw new ServingError('INVALID_ARGUMENT', `unknown validation mode "${name}"; expected one of ${VALIDATION_MODES.join(', ')}`);
}

export async function loadRowValidation(file: string, mode: ValidationMode, environment: string | undefined): Promise<RowValidation> {
  // The protobuf definitions load only for jobs that validate.
  const { readSchemaFile } = await import('../validation/metadata-protos.js');
  const schema = await readSchemaFile(file);
  if (environment !== undefined && !(schema.default_environment ?? []).includes(environment)) {
    const known = schema.default_environment ?? [];
    throw new ServingError('INVALID_ARGUMENT', `${file} has no environment "${environment}" (it has ${known.length === 0 ? 'none' : known.join(', ')})`);
  }
  const sha256 = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
  return { schema, mode, environment, source: { file, sha256 } };
}

/** The anomalies of one row's named fields, in feature order; empty when it conforms. */
export function rowAnomalies(fields: Readonly<Record<string, unknown>>, validation: RowValidation): RowAnomaly[] {
  return checkRow(fields, validation.schema, validation.environment === undefined ? {} : { environment: validation.environment });
}

/** The error message of a refused row: each anomaly as `feature: short description (description)`. */
export function anomaliesMessage(anomalies: readonly RowAnomaly[]): string {
  return `the row breaks the schema: ${anomalies.map((a) => `${a.feature}: ${a.short_description} (${a.description.trim()})`).join('; ')}`;
}

/** TFDV's JSON spelling of an anomaly, as `millrace validate --rows` writes it. */
export function anomalyJson(a: RowAnomaly): { feature: string; type: string; severity: string; shortDescription: string; description: string } {
  return { feature: a.feature, type: a.type, severity: a.severity, shortDescription: a.short_description, description: a.description };
}
