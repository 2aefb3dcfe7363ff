/**
 * CSV in TFDV's way (tfx_bsl's CSV decoder): the first line names the columns, an empty cell is a missing
 * value, every other cell is one value typed later by the widest type of its column (INT < FLOAT < STRING).
 */
import { ServingError } from '../../errors/serving-error.js';
import { fieldCountError, readCsvHeader, readCsvRecords } from '../../readers/csv-records.js';
import type { FeatureValues } from '../example-values.js';
import type { ExampleRecord } from './example-source.js';

export async function* readCsvExamples(file: string, delimiter = ','): AsyncGenerator<ExampleRecord> {
  const header = await readCsvHeader(file, delimiter);
  let first = true;
  for await (const record of readCsvRecords(file, delimiter)) {
    if (first) {
      first = false;
      continue;
    }
    const problem = record.error ?? fieldCountError(record, header);
    if (problem !== undefined) throw new ServingError('INVALID_ARGUMENT', `${file}:${record.line}: ${problem}`);
    const example = new Map<string, FeatureValues>();
    record.cells.forEach((cell, i) => {
      if (cell !== '') example.set(header[i] as string, { kind: 'text', values: [cell] });
    });
    yield { example, position: record.line };
  }
}
