import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CsvRecordParser, readCsvRecords, type CsvRecord } from '../../src/readers/csv-records.js';
import { globRegExp, listInputFiles } from '../../src/readers/input-files.js';
import { splitTextFile } from '../../src/readers/split-points.js';
import { readTextLines } from '../../src/readers/text-lines.js';
import { tempDir, writeText } from './support.js';

function parse(text: string, chunkSize = text.length): CsvRecord[] {
  const parser = new CsvRecordParser(',');
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += chunkSize) parser.push(text.slice(i, i + chunkSize), out);
  parser.end(out);
  return out;
}

describe('CSV records', () => {
  const text = 'id,name,note\r\n1,"Smith, J.","said ""hi""\r\nthen left"\r\n\r\n2,plain,\r\n3,"",x"y\r\n4,"bad"x,z\n5,"open\nnever closed';

  it('reads quoting, CRLF, quoted line breaks and empty cells, with the line each record starts on', () => {
    expect(parse(text)).toEqual([
      { line: 1, cells: ['id', 'name', 'note'], quoted: [false, false, false] },
      { line: 2, cells: ['1', 'Smith, J.', 'said "hi"\r\nthen left'], quoted: [false, true, true] },
      { line: 5, cells: ['2', 'plain', ''], quoted: [false, false, false] },
      { line: 6, cells: ['3', '', 'x"y'], quoted: [false, true, false] },
      { line: 7, cells: ['4', 'badx', 'z'], quoted: [false, true, false], error: 'unexpected "x" after the closing quote of field 2' },
      { line: 8, cells: ['5', 'open\nnever closed'], quoted: [false, true], error: 'the quoted field 2 is not closed at the end of the input' },
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 7]) expect(parse(text, size)).toEqual(parse(text));
  });

  it('reads any byte range the splitter cuts exactly like the whole file', async () => {
    const dir = await tempDir();
    try {
      const file = await writeText(join(dir.path, 'x.csv'), `\uFEFF${text}`);
      const whole: CsvRecord[] = [];
      for await (const r of readCsvRecords(file, ',')) whole.push(r);
      expect(whole[0]!.cells).toEqual(['id', 'name', 'note']);
      for (const per of [1, 2, 3]) {
        const splits = await splitTextFile(file, 'csv', per);
        const pieces: CsvRecord[] = [];
        for (const split of splits) for await (const r of readCsvRecords(file, ',', split.range)) pieces.push(r);
        expect(pieces).toEqual(whole);
      }
      // Records end at lines 1, 3, 4 (blank), 5, 6, 7; the last record (from line 8) has no final line break.
      expect((await splitTextFile(file, 'csv', 2)).map((s) => [s.range.firstLine, s.records])).toEqual([
        [1, 2],
        [4, 2],
        [6, 2],
        [8, 1],
      ]);
    } finally {
      await dir.dispose();
    }
  });
});

describe('JSON lines splitting', () => {
  it('cuts at line starts and numbers lines from the start of the file', async () => {
    const dir = await tempDir();
    try {
      const file = await writeText(join(dir.path, 'x.jsonl'), '1\n2\n\n4\n5');
      const splits = await splitTextFile(file, 'jsonl', 2);
      expect(splits.map((s) => [s.range.start, s.range.end, s.range.firstLine, s.records])).toEqual([
        [0, 4, 1, 2],
        [4, 7, 3, 2],
        [7, 8, 5, 1],
      ]);
      const lines = [];
      for (const s of splits) for await (const l of readTextLines(file, s.range)) lines.push([l.line, l.text]);
      expect(lines).toEqual([
        [1, '1'],
        [2, '2'],
        [3, ''],
        [4, '4'],
        [5, '5'],
      ]);
    } finally {
      await dir.dispose();
    }
  });
});

describe('input files', () => {
  let dir: { path: string; dispose(): Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
    for (const f of ['b/2.jsonl', 'b/1.jsonl', 'a.jsonl', 'c/d/3.csv', '_SUCCESS', '.hidden.jsonl', 'out/prediction.results-00000-of-00001']) {
      await writeText(join(dir.path, f), '');
    }
  });
  afterEach(() => dir.dispose());

  it('lists a directory recursively in path order, without hidden files, markers or the output directory', async () => {
    const files = await listInputFiles(dir.path, join(dir.path, 'out'));
    expect(files.map((f) => f.slice(dir.path.length + 1))).toEqual(['a.jsonl', 'b/1.jsonl', 'b/2.jsonl', 'c/d/3.csv']);
  });

  it('expands globs and comma-separated lists', async () => {
    const files = await listInputFiles(`${dir.path}/**/*.jsonl,${dir.path}/c/*/3.csv`);
    expect(files.map((f) => f.slice(dir.path.length + 1))).toEqual(['a.jsonl', 'b/1.jsonl', 'b/2.jsonl', 'c/d/3.csv']);
    expect(globRegExp('b/[12].json?').test('b/1.jsonl')).toBe(true);
    expect(globRegExp('b/[!12].jsonl').test('b/1.jsonl')).toBe(false);
    await expect(listInputFiles(`${dir.path}/*.parquet`)).rejects.toThrow(`no input files match ${dir.path}/*.parquet`);
    await expect(listInputFiles(join(dir.path, 'nope'))).rejects.toThrow(`input ${join(dir.path, 'nope')} does not exist`);
  });
});
