/**
 * Splits a JSON lines or CSV file into byte ranges of about `recordsPerUnit` records each, cut only at
 * record boundaries and with the line number each range starts on — so a work unit can be read on its own,
 * errors can name real line numbers, and the same file always splits the same way. One sequential pass over
 * the bytes with bounded memory; CSV boundaries follow the same grammar as the parser (quoted line breaks are
 * not boundaries).
 */
import { createReadStream } from 'node:fs';
import type { ByteRange } from './byte-range.js';
import { csvStep, FIELD_START, LF, QUOTED, type CsvState } from './csv-grammar.js';
import { delimiterOf, type LineFormat } from './input-format.js';
import { cannotRead } from './text-lines.js';

export interface TextSplit {
  readonly range: ByteRange;
  /** Records (lines, for JSON lines) in the range, blank ones included: the unit's size for progress. */
  readonly records: number;
}

export async function splitTextFile(file: string, format: LineFormat, recordsPerUnit: number): Promise<TextSplit[]> {
  const splits: TextSplit[] = [];
  const delimiter = format === 'jsonl' ? -1 : delimiterOf(format).charCodeAt(0);
  let offset = 0;
  let line = 1;
  let unitStart = 0;
  let unitLine = 1;
  let records = 0;
  let state: CsvState = FIELD_START;
  let lastByte = LF;
  const cut = (end: number): void => {
    splits.push({ range: { start: unitStart, end, firstLine: unitLine }, records });
    unitStart = end;
    unitLine = line;
    records = 0;
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let from = 0;
      // A UTF-8 byte order mark is not part of the first field.
      if (offset === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) from = 3;
      if (delimiter < 0) {
        for (let i = chunk.indexOf(LF, from); i >= 0; i = chunk.indexOf(LF, i + 1)) {
          line++;
          if (++records >= recordsPerUnit) cut(offset + i + 1);
        }
      } else {
        for (let i = from; i < chunk.length; i++) {
          const c = chunk[i]!;
          const before = state;
          state = csvStep(state, c, delimiter);
          if (c !== LF) continue;
          line++;
          if (before !== QUOTED && ++records >= recordsPerUnit) cut(offset + i + 1);
        }
      }
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
      offset += chunk.length;
    }
  } catch (err) {
    throw cannotRead(file, err);
  }
  if (lastByte !== LF) records++;
  if (offset > unitStart) cut(offset);
  return splits;
}
