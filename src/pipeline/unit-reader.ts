/**
 * Reads the records of one work unit. Nothing a single record gets wrong stops the reading: a line that is
 * not JSON, a CSV row with the wrong number of cells, even a Parquet row group that cannot be decoded come
 * out as unreadable records that name their position, so every input row is accounted for.
 */
import { ServingError } from '../errors/serving-error.js';
import type { InputRecord, ParquetUnit, TableUnit, TextUnit, TfRecordUnit, WorkUnit } from '../readers/input-record.js';
import { fieldCountError, readCsvRecords } from '../readers/csv-records.js';
import { delimiterOf } from '../readers/input-format.js';
import { openParquetFile, parquetColumns, readParquetColumns, type ColumnValues, type ParquetFile } from '../readers/parquet-rows.js';
import { readTextLines } from '../readers/text-lines.js';
import { payloadRecord } from '../readers/tfrecord-payload.js';
import { readTfRecords } from '../readers/tfrecord-records.js';
import type { SqlSession } from '../readers/sql-session.js';

/** Rows fetched from a table at a time. */
const TABLE_CHUNK_ROWS = 1000;
/** Records handed to a batch job at a time. */
const CHUNK_RECORDS = 512;

/** Records of a record-at-a-time reader, gathered into chunks. */
async function* chunksOf(records: AsyncGenerator<InputRecord>): AsyncGenerator<readonly InputRecord[]> {
  let chunk: InputRecord[] = [];
  for await (const record of records) {
    chunk.push(record);
    if (chunk.length >= CHUNK_RECORDS) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

export class UnitReader {
  /** The Parquet file last opened, so consecutive row groups of one file share its metadata. */
  private parquet: Promise<ParquetFile> | undefined;
  private parquetPath = '';

  /** `tables`: the connection table units are read through. */
  constructor(private readonly tables?: SqlSession) {}

  /**
   * The unit's records in arrays of up to CHUNK_RECORDS, in order: what a batch job reads, for it costs one
   * await per chunk instead of one per record.
   */
  readChunks(unit: WorkUnit): AsyncGenerator<readonly InputRecord[]> {
    return unit.format === 'parquet' ? this.parquetChunks(unit) : chunksOf(this.read(unit));
  }

  read(unit: WorkUnit): AsyncGenerator<InputRecord> {
    switch (unit.format) {
      case 'jsonl':
        return readJsonLines(unit);
      case 'csv':
      case 'tsv':
        return readCsv(unit);
      case 'parquet':
        return this.readParquet(unit);
      case 'tfrecord':
        return readTfRecordUnit(unit);
      case 'table':
        return this.readTable(unit);
    }
  }

  /** Table rows as records; a NULL column is a missing field. */
  private async *readTable(unit: TableUnit): AsyncGenerator<InputRecord> {
    if (this.tables === undefined) throw new ServingError('INTERNAL', `no connection to read ${unit.file}`);
    let position = unit.rows.rowStart;
    for await (const chunk of this.tables.stream(unit.sql, TABLE_CHUNK_ROWS)) {
      for (const row of chunk.rows) {
        // Like a JSON object without the member, so the row echoed in an error has no such field either.
        const present = chunk.names.flatMap((_, i) => (row[i] === null || row[i] === undefined ? [] : [i]));
        yield { kind: 'fields', position: ++position, names: present.map((i) => chunk.names[i]!), values: present.map((i) => row[i]) };
      }
    }
  }

  private async *readParquet(unit: ParquetUnit): AsyncGenerator<InputRecord> {
    for await (const chunk of this.parquetChunks(unit)) yield* chunk;
  }

  private async *parquetChunks(unit: ParquetUnit): AsyncGenerator<readonly InputRecord[]> {
    if (this.parquet === undefined || this.parquetPath !== unit.file) {
      this.parquetPath = unit.file;
      this.parquet = openParquetFile(unit.file);
    }
    const parquet = await this.parquet;
    const { rowStart, rowEnd } = unit.rows;
    // Every row has every column, so the rows share one list of names.
    const names = parquetColumns(parquet).map((c) => c.name);
    let columns: ColumnValues[];
    try {
      columns = await readParquetColumns(parquet, unit.rows, names);
    } catch (err) {
      const message = `cannot decode this row group (rows ${rowStart + 1}-${rowEnd}): ${(err as Error).message}`;
      const unreadable: InputRecord[] = [];
      for (let row = rowStart; row < rowEnd; row++) unreadable.push({ kind: 'unreadable', position: row + 1, message });
      yield unreadable;
      return;
    }
    for (let start = rowStart; start < rowEnd; start += CHUNK_RECORDS) {
      const end = Math.min(rowEnd, start + CHUNK_RECORDS);
      const chunk: InputRecord[] = new Array<InputRecord>(end - start);
      for (let row = start; row < end; row++) {
        const values = new Array<unknown>(columns.length);
        // Dates and timestamps are already ISO-8601 text (see readParquetColumns).
        for (let c = 0; c < columns.length; c++) {
          const column = columns[c]!;
          values[c] = column.data[row - column.start];
        }
        chunk[row - start] = { kind: 'fields', position: row + 1, names, values };
      }
      yield chunk;
    }
  }
}

/** Records of a TFRecord unit; a corrupt one is an unreadable record (and the last, when it hides the rest). */
async function* readTfRecordUnit(unit: TfRecordUnit): AsyncGenerator<InputRecord> {
  const entries = readTfRecords(unit.file, { compression: unit.compression, range: unit.range, maxRecordBytes: unit.maxRecordBytes });
  for await (const entry of entries) {
    if (entry.kind === 'corrupt') yield { kind: 'unreadable', position: entry.index, message: entry.message };
    else yield payloadRecord(entry.data, unit.payload, entry.index);
  }
}

async function* readJsonLines(unit: TextUnit): AsyncGenerator<InputRecord> {
  for await (const { line, text } of readTextLines(unit.file, unit.range)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { kind: 'unreadable', position: line, message: `not valid JSON: ${(err as Error).message}` };
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const object = value as Record<string, unknown>;
      const names = Object.keys(object);
      yield { kind: 'fields', position: line, names, values: names.map((n) => object[n]) };
    } else {
      yield { kind: 'value', position: line, value };
    }
  }
}

async function* readCsv(unit: TextUnit): AsyncGenerator<InputRecord> {
  const header = unit.header ?? [];
  let skipHeader = unit.range.start === 0;
  for await (const record of readCsvRecords(unit.file, delimiterOf(unit.format as 'csv' | 'tsv'), unit.range)) {
    if (skipHeader) {
      skipHeader = false;
      continue;
    }
    const problem = record.error ?? fieldCountError(record, header);
    if (problem !== undefined) {
      yield { kind: 'unreadable', position: record.line, message: problem };
      continue;
    }
    // An empty unquoted cell is a missing value; a quoted one ("") is the empty string.
    const values = record.cells.map((cell, i) => (cell === '' && !record.quoted[i] ? undefined : cell));
    yield { kind: 'fields', position: record.line, names: header, values, quoted: record.quoted };
  }
}
