/**
 * Parquet examples, one row group at a time (see readers/parquet-rows.ts). Values map as for JSON
 * lines, except that a column's Parquet type is fixed: FLOAT/DOUBLE/DECIMAL stay FLOAT even for integral values.
 * INT64 becomes a JS number (exact up to 2^53), timestamps epoch ms (INT).
 */
import { openParquetFile, parquetColumns, parquetRowGroups, readParquetRows, type RowRange } from '../../readers/parquet-rows.js';
import type { FeatureValues } from '../example-values.js';
import type { ExampleRecord } from './example-source.js';
import { toFeatureValues } from './jsonl-examples.js';

/** `range` (whole row groups) limits the rows read; default the whole file. */
export async function* readParquetExamples(file: string, range?: RowRange): AsyncGenerator<ExampleRecord> {
  const parquet = await openParquetFile(file);
  const columns = parquetColumns(parquet);
  for (const group of parquetRowGroups(parquet)) {
    if (range !== undefined && (group.rowStart < range.rowStart || group.rowStart >= range.rowEnd)) continue;
    const rows = await readParquetRows(parquet, group);
    for (let row = 0; row < rows.length; row++) {
      const position = group.rowStart + row + 1;
      const values = rows[row]!;
      const example = new Map<string, FeatureValues>();
      for (const { name, isFloat } of columns) {
        const list = toFeatureValues(values[name], file, position, name, isFloat);
        if (list !== undefined) example.set(name, list);
      }
      yield { example, position };
    }
  }
}
