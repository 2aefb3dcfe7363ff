/**
 * The rows of some input files that break a schema (TFDV users ask "which rows caused this anomaly?"): each row
 * checked with checkRow, and each of its anomalies written as one JSON line that names the file, the line (CSV,
 * JSON lines) or row (Parquet) and the feature, with TFDV's anomaly type, severity and descriptions.
 */
import { isTableUrl, parseTableUrl } from '../readers/table-url.js';
import { inputFormatOf, readExamples, type InputFormat } from './readers/example-source.js';
import { readTableExamples } from './readers/table-examples.js';
import { checkRow, type RowAnomaly, type RowCheckOptions } from './row-schema-check.js';
import type { Schema } from './schema-types.js';

export interface InvalidRow {
  /** The file, or the table URL with its password masked. */
  readonly file: string;
  readonly format: InputFormat | 'table';
  /** 1-based line (CSV, JSON lines) or row (Parquet, TFRecord, tables) number. */
  readonly position: number;
  readonly anomalies: readonly RowAnomaly[];
}

/** The rows that break the schema, in input order. */
export async function* invalidRows(inputs: readonly string[], format: string, schema: Schema, options: RowCheckOptions = {}): AsyncGenerator<InvalidRow> {
  for (const file of inputs) {
    if (isTableUrl(file)) {
      const display = parseTableUrl(file).display;
      for await (const { example, position } of readTableExamples(file)) {
        const anomalies = checkRow(example, schema, options);
        if (anomalies.length > 0) yield { file: display, format: 'table', position, anomalies };
      }
      continue;
    }
    const fileFormat = inputFormatOf(file, format);
    for await (const { example, position } of readExamples(file, fileFormat)) {
      const anomalies = checkRow(example, schema, options);
      if (anomalies.length > 0) yield { file, format: fileFormat, position, anomalies };
    }
  }
}

/**
 * One JSON object per anomaly of the row, keys in TFDV's JSON spelling:
 * `{"file", "line" | "row", "feature", "type", "severity", "shortDescription", "description"}`.
 */
export function invalidRowLines(row: InvalidRow): string[] {
  const where = row.format === 'parquet' || row.format === 'tfrecord' || row.format === 'table' ? 'row' : 'line';
  return row.anomalies.map((a) =>
    JSON.stringify({
      file: row.file,
      [where]: row.position,
      feature: a.feature,
      type: a.type,
      severity: a.severity,
      shortDescription: a.short_description,
      description: a.description,
    }),
  );
}
