/**
 * The file formats records can be read from, told by a file's extension or named explicitly (`--format`).
 */
import { ServingError } from '../errors/serving-error.js';

export const INPUT_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet', 'tfrecord'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** Formats whose records are lines of text (CSV records may span lines inside quotes). */
export type LineFormat = Exclude<InputFormat, 'parquet' | 'tfrecord'>;

export function parseInputFormat(name: string): InputFormat {
  if ((INPUT_FORMATS as readonly string[]).includes(name)) return name as InputFormat;
  throw new ServingError('INVALID_ARGUMENT', `unknown input format "${name}"; expected one of ${INPUT_FORMATS.join(', ')}`);
}

/** The format of `file`: the explicit one when given, else the one its extension names. */
export function inputFormatOf(file: string, explicit = ''): InputFormat {
  if (explicit !== '') return parseInputFormat(explicit);
  const format = formatFromExtension(file);
  if (format !== undefined) return format;
  throw new ServingError('INVALID_ARGUMENT', `cannot tell the format of ${file} from its name; pass --format (${INPUT_FORMATS.join(', ')})`);
}

export function formatFromExtension(file: string): InputFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv')) return 'tsv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  // TFRecord, plain or gzip-compressed (see tfrecord-records.ts).
  if (/\.tfrecords?(\.gz|\.gzip)?$/.test(lower)) return 'tfrecord';
  return undefined;
}

/** The cell separator of a delimited-text format. */
export function delimiterOf(format: 'csv' | 'tsv'): string {
  return format === 'tsv' ? '\t' : ',';
}
