import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/validate.js';
import { withTempDir } from './support.js';
import { captureProcessOutput } from '../support/process-output.js';

const { stderr } = captureProcessOutput({ stdout: 'silence' });

const SCHEMA = `
feature { name: "age" type: INT presence { min_fraction: 1 min_count: 1 } shape { dim { size: 1 } } int_domain { min: 0 max: 120 } }
feature { name: "color" type: BYTES presence { min_count: 1 } domain: "color" }
feature { name: "score" type: FLOAT }
string_domain { name: "color" value: "blue" value: "red" }
`;

async function jsonLines(file: string): Promise<unknown[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

describe('millrace validate --rows', () => {
  it('lists every anomaly of every row that breaks the schema, with file and line, and exits 1', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('schema.pbtxt'), SCHEMA);
      await writeFile(at('day.csv'), 'age,color,score\n30,red,0.5\n130,purple,1\n,blue,2\n41,red,x\n');
      const code = await validateCommand(['--input', at('day.csv'), '--schema', at('schema.pbtxt'), '--rows', at('bad.jsonl'), '--output', at('anomalies.json')]);
      expect(code).toBe(1);
      expect(await jsonLines(at('bad.jsonl'))).toEqual([
        {
          file: at('day.csv'),
          line: 3,
          feature: 'age',
          type: 'INT_TYPE_BIG_INT',
          severity: 'ERROR',
          shortDescription: 'Out-of-range values',
          description: 'Unexpectedly large value: 130.',
        },
        {
          file: at('day.csv'),
          line: 3,
          feature: 'color',
          type: 'ENUM_TYPE_UNEXPECTED_STRING_VALUES',
          severity: 'ERROR',
          shortDescription: 'Unexpected string values',
          description: 'Examples contain values missing from the schema: purple (~100%). ',
        },
        { file: at('day.csv'), line: 4, feature: 'age', type: 'SCHEMA_MISSING_COLUMN', severity: 'ERROR', shortDescription: 'Column dropped', description: 'Column is completely missing' },
        {
          file: at('day.csv'),
          line: 5,
          feature: 'score',
          type: 'UNEXPECTED_DATA_TYPE',
          severity: 'ERROR',
          shortDescription: 'Unexpected data type',
          description: 'Expected data of type: FLOAT but got STRING',
        },
      ]);
      expect(stderr.join('')).toContain(`validate: 3 row(s) break the schema, 4 anomalies → ${at('bad.jsonl')}\n`);
      // The statistics of the whole input were validated too.
      const anomalies = JSON.parse(await readFile(at('anomalies.json'), 'utf8')) as { anomalyInfo: Record<string, { reason: Array<{ type: string }> }> };
      expect(Object.keys(anomalies.anomalyInfo).sort()).toEqual(['age', 'color', 'score']);
      expect(anomalies.anomalyInfo['color']!.reason.map((r) => r.type)).toEqual(['ENUM_TYPE_UNEXPECTED_STRING_VALUES']);
    });
  });

  it('stops at --max_rows and says so; numbers JSON lines by line, Parquet by row', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('schema.pbtxt'), SCHEMA);
      await writeFile(at('d.jsonl'), '{"age": 1, "color": "red"}\n\n{"age": -4, "color": "red"}\n{"age": 500, "color": "red"}\n');
      expect(await validateCommand(['--input', at('d.jsonl'), '--schema', at('schema.pbtxt'), '--rows', at('bad.jsonl'), '--max_rows', '1', '--output', at('a.json')])).toBe(1);
      expect(await jsonLines(at('bad.jsonl'))).toEqual([
        {
          file: at('d.jsonl'),
          line: 3,
          feature: 'age',
          type: 'INT_TYPE_SMALL_INT',
          severity: 'ERROR',
          shortDescription: 'Out-of-range values',
          description: 'Unexpectedly small value: -4.',
        },
      ]);
      expect(stderr.join('')).toContain(`validate: 1 row(s) break the schema, 1 anomaly (stopped at --max_rows 1; more rows may break it) → ${at('bad.jsonl')}\n`);

      parquetWriteFile({
        filename: at('p.parquet'),
        columnData: [
          { name: 'age', data: [5, 6, 700], type: 'INT32' },
          { name: 'color', data: ['red', 'blue', 'red'], type: 'STRING' },
        ],
      });
      expect(await validateCommand(['--input', at('p.parquet'), '--schema', at('schema.pbtxt'), '--rows', at('p-bad.jsonl'), '--output', at('p.json')])).toBe(1);
      expect(await jsonLines(at('p-bad.jsonl'))).toEqual([
        {
          file: at('p.parquet'),
          row: 3,
          feature: 'age',
          type: 'INT_TYPE_BIG_INT',
          severity: 'ERROR',
          shortDescription: 'Out-of-range values',
          description: 'Unexpectedly large value: 700.',
        },
      ]);
    });
  });

  it('exits 0 when every row conforms, and 2 on flags that cannot work together', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('schema.pbtxt'), SCHEMA);
      await writeFile(at('ok.csv'), 'age,color\n3,red\n4,blue\n');
      expect(await validateCommand(['--input', at('ok.csv'), '--schema', at('schema.pbtxt'), '--rows', at('none.jsonl'), '--output', at('a.json')])).toBe(0);
      expect(await readFile(at('none.jsonl'), 'utf8')).toBe('');
      expect(stderr.join('')).toContain(`validate: 0 row(s) break the schema, 0 anomalies → ${at('none.jsonl')}\n`);
      expect(await validateCommand(['--stats', at('s.json'), '--schema', at('schema.pbtxt'), '--rows', at('r.jsonl')])).toBe(2);
      expect(stderr.join('')).toContain('millrace: --rows needs --input: the data whose rows are checked');
      expect(await validateCommand(['--input', at('ok.csv'), '--schema', at('schema.pbtxt'), '--rows', '-'])).toBe(2);
      expect(stderr.join('')).toContain('millrace: --rows - and the anomalies would both go to stdout; give --output or a --rows file');
      expect(await validateCommand(['--schema', at('schema.pbtxt')])).toBe(2);
      expect(stderr.join('')).toContain('millrace: validate needs --stats or --input');
    });
  });
});
