/**
 * Picks the reader for an input file by its extension (or an explicit format) and streams its examples.
 */
import type { InputFormat } from '../../readers/input-format.js';
import type { RowRange } from '../../readers/parquet-rows.js';
import type { Example } from '../example-values.js';
import { readCsvExamples } from './csv-examples.js';
import { readJsonLinesExamples } from './jsonl-examples.js';
import { readTfRecordExamples } from './tfrecord-examples.js';

export interface ExampleRecord {
  readonly example: Example;
  /** 1-based line (CSV, JSON lines), row (Parquet) or record (TFRecord) number, for messages that point at the input. */
  readonly position: number;
}

export { INPUT_FORMATS, inputFormatOf, type InputFormat } from '../../readers/input-format.js';

/** `range`: Parquet rows (whole row groups) to read; other formats are read whole. */
export function readExamples(file: string, format: InputFormat, range?: RowRange): AsyncGenerator<ExampleRecord> {
  switch (format) {
    case 'csv':
      return readCsvExamples(file);
    case 'tsv':
      return readCsvExamples(file, '\t');
    case 'jsonl':
      return readJsonLinesExamples(file);
    case 'parquet':
      return readParquetExamplesLazily(file, range);
    case 'tfrecord':
      return readTfRecordExamples(file);
  }
}

// The row reader of Parquet (hyparquet) loads only when a file needs it: statistics read Parquet by column.
async function* readParquetExamplesLazily(file: string, range: RowRange | undefined): AsyncGenerator<ExampleRecord> {
  const { readParquetExamples } = await import('./parquet-examples.js');
  yield* readParquetExamples(file, range);
}
