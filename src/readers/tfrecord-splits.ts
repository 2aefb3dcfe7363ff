/**
 * Splits a TFRecord file into runs of about `recordsPerUnit` records for work units. Frame boundaries can only
 * be found by walking the frames from the start (a byte offset picked at random may fall inside a record that
 * looks like a header), so the split is one sequential pass over the headers, with no record data held. A
 * gzip file cannot be entered in the middle and stays one unit; the pass still counts its records.
 */
import { readTfRecords, type TfRecordCompression, type TfRecordRange } from './tfrecord-records.js';

export interface TfRecordSplit {
  readonly range: TfRecordRange;
  /** Records in the range (a corrupt one counts: it becomes an error row), for progress. */
  readonly records: number;
}

export async function splitTfRecordFile(file: string, compression: TfRecordCompression, recordsPerUnit: number): Promise<TfRecordSplit[]> {
  const splits: TfRecordSplit[] = [];
  let start = 0;
  let firstRecord = 1;
  let records = 0;
  for await (const entry of readTfRecords(file, { compression, readData: false })) {
    if (compression === 'none' && records === recordsPerUnit) {
      splits.push({ range: { start, end: entry.offset, firstRecord }, records });
      start = entry.offset;
      firstRecord = entry.index;
      records = 0;
    }
    records++;
    // A frame that cannot be walked past ends the file: the last unit reads to the end and reports it.
    if (entry.kind === 'corrupt' && entry.fatal) break;
  }
  if (records > 0) splits.push({ range: { start, end: Infinity, firstRecord }, records });
  return splits;
}
