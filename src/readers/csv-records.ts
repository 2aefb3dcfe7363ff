/**
 * CSV (or TSV) records as a stream, with the line each record starts on and which cells were quoted
 * (Vertex AI reads unquoted cells as numbers, quoted ones as strings). Reads whole files or byte ranges
 * that start at a record boundary (see split-points.ts). Empty lines are skipped; a malformed record becomes
 * one record with an `error` and reading goes on with the next one.
 */
import { ServingError } from '../errors/serving-error.js';
import { WHOLE_FILE, type ByteRange } from './byte-range.js';
import { CR, csvStep, FIELD_START, LF, QUOTE_IN_QUOTED, QUOTED, UNQUOTED, type CsvState } from './csv-grammar.js';
import { openStream } from './text-lines.js';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  readonly line: number;
  readonly cells: readonly string[];
  readonly quoted: readonly boolean[];
  /** Set when the record is malformed; its cells are then best effort. */
  readonly error?: string;
}

export async function* readCsvRecords(file: string, delimiter: string, range: ByteRange = WHOLE_FILE): AsyncGenerator<CsvRecord> {
  const stream = await openStream(file, range);
  stream.setEncoding('utf8');
  const parser = new CsvRecordParser(delimiter, range.firstLine);
  const out: CsvRecord[] = [];
  try {
    let first = range.start === 0;
    for await (const chunk of stream as AsyncIterable<string>) {
      parser.push(first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk, out);
      first = false;
      yield* out;
      out.length = 0;
    }
    parser.end(out);
    yield* out;
  } finally {
    stream.destroy();
  }
}

/** The header (first record) of a CSV file, checked: every column named, no name twice. */
export async function readCsvHeader(file: string, delimiter: string): Promise<string[]> {
  for await (const record of readCsvRecords(file, delimiter)) {
    if (record.error !== undefined) throw new ServingError('INVALID_ARGUMENT', `${file}:${record.line}: ${record.error}`);
    return checkHeader(record.cells, file, record.line);
  }
  throw new ServingError('INVALID_ARGUMENT', `${file}: empty CSV file (no header line)`);
}

function checkHeader(cells: readonly string[], file: string, line: number): string[] {
  const seen = new Set<string>();
  cells.forEach((name, i) => {
    if (name === '') throw new ServingError('INVALID_ARGUMENT', `${file}:${line}: column ${i + 1} of the header has no name`);
    if (seen.has(name)) throw new ServingError('INVALID_ARGUMENT', `${file}:${line}: column name "${name}" appears twice in the header`);
    seen.add(name);
  });
  return [...cells];
}

/** Incremental parser: push text chunks, collect the records they complete. */
export class CsvRecordParser {
  private readonly delimiter: number;
  private state: CsvState = FIELD_START;
  private line: number;
  private recordLine = 0;
  private inRecord = false;
  private cells: string[] = [];
  private quoted: boolean[] = [];
  /** Text of the current field gathered from earlier chunks or segments. */
  private field = '';
  private fieldQuoted = false;
  private error: string | undefined;

  constructor(delimiter: string, firstLine = 1) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new ServingError('INVALID_ARGUMENT', `CSV delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
    this.line = firstLine;
  }

  push(chunk: string, out: CsvRecord[]): void {
    const delimiter = this.delimiter;
    let segment = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      const from = this.state;
      const to = csvStep(from, c, delimiter);
      this.state = to;
      if (!this.inRecord && c !== LF) {
        this.inRecord = true;
        this.recordLine = this.line;
      }
      switch (from) {
        case FIELD_START:
          if (to === QUOTED) {
            this.fieldQuoted = true;
            segment = i + 1;
          } else if (to === UNQUOTED) {
            segment = i;
          } else {
            this.endField();
            if (c === LF) this.endRecord(out);
          }
          break;
        case UNQUOTED:
          if (to === FIELD_START) {
            this.field += chunk.slice(segment, i);
            this.endField();
            if (c === LF) this.endRecord(out);
          }
          break;
        case QUOTED:
          if (to === QUOTE_IN_QUOTED) this.field += chunk.slice(segment, i);
          break;
        case QUOTE_IN_QUOTED:
          if (to === QUOTED) {
            this.field += '"';
            segment = i + 1;
          } else if (to === UNQUOTED) {
            this.error ??= `unexpected ${JSON.stringify(chunk[i])} after the closing quote of field ${this.cells.length + 1}`;
            segment = i;
          } else if (to === FIELD_START) {
            this.endField();
            if (c === LF) this.endRecord(out);
          }
          break;
      }
      if (c === LF) this.line++;
    }
    if (this.state === UNQUOTED || this.state === QUOTED) this.field += chunk.slice(segment);
  }

  /** End of input: completes a last record without a line break. */
  end(out: CsvRecord[]): void {
    if (this.state === QUOTED) this.error ??= `the quoted field ${this.cells.length + 1} is not closed at the end of the input`;
    if (this.inRecord) {
      this.endField();
      this.endRecord(out);
    }
    this.state = FIELD_START;
  }

  private endField(): void {
    this.cells.push(this.field);
    this.quoted.push(this.fieldQuoted);
    this.field = '';
    this.fieldQuoted = false;
  }

  private endRecord(out: CsvRecord[]): void {
    const last = this.cells.length - 1;
    // CRLF: the CR belongs to the line break, not to the last (unquoted) cell.
    if (!this.quoted[last] && this.cells[last]!.charCodeAt(this.cells[last]!.length - 1) === CR) this.cells[last] = this.cells[last]!.slice(0, -1);
    const empty = this.cells.length === 1 && this.cells[0] === '' && !this.quoted[0];
    if (!empty || this.error !== undefined) {
      const record: CsvRecord = { line: this.recordLine, cells: this.cells, quoted: this.quoted };
      out.push(this.error === undefined ? record : { ...record, error: this.error });
    }
    this.cells = [];
    this.quoted = [];
    this.error = undefined;
    this.inRecord = false;
  }
}

/** The message for a record whose cell count differs from the header's. */
export function fieldCountError(record: CsvRecord, header: readonly string[]): string | undefined {
  return record.cells.length === header.length ? undefined : `row has ${record.cells.length} fields but the header names ${header.length}`;
}
