import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaCommand } from '../../src/cli/schema.js';
import { statsCommand } from '../../src/cli/stats.js';
import { validateCommand } from '../../src/cli/validate.js';
import { withTempDir } from './support.js';
import { captureProcessOutput } from '../support/process-output.js';

const { stderr } = captureProcessOutput({ stdout: 'silence' });

describe('millrace stats / schema infer / validate', () => {
  it('runs the TFDV loop end to end with exit codes 0, 1 and 2', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('train.csv'), 'age,color\n1,red\n2,blue\n3,red\n');
      await writeFile(at('serve.csv'), 'age,color\n1,purple\n2,red\n');
      expect(await statsCommand(['--input', at('train.csv'), '--output', at('train.json')])).toBe(0);
      expect(await statsCommand(['--input', at('serve.csv'), '--output', at('serve.json')])).toBe(0);
      expect(await schemaCommand(['infer', '--stats', at('train.json'), '--output', at('schema.pbtxt')])).toBe(0);
      expect(await readFile(at('schema.pbtxt'), 'utf8')).toContain('string_domain {\n  name: "color"\n  value: "blue"\n  value: "red"\n}');
      expect(await validateCommand(['--stats', at('train.json'), '--schema', at('schema.pbtxt'), '--output', at('ok.json')])).toBe(0);
      expect(JSON.parse(await readFile(at('ok.json'), 'utf8'))).toEqual({ anomalyNameFormat: 'SERIALIZED_PATH' });
      expect(await validateCommand(['--stats', at('serve.json'), '--schema', at('schema.pbtxt'), '--output', at('bad.json')])).toBe(1);
      const bad = JSON.parse(await readFile(at('bad.json'), 'utf8')) as { anomalyInfo: Record<string, { reason: Array<{ type: string; description: string }> }> };
      expect(bad.anomalyInfo['color']!.reason).toEqual([
        { type: 'ENUM_TYPE_UNEXPECTED_STRING_VALUES', shortDescription: 'Unexpected string values', description: 'Examples contain values missing from the schema: purple (~50%). ' },
      ]);
      expect(stderr.join('')).toContain('validate: color: ERROR: Unexpected string values');

      expect(await statsCommand(['merge', at('train.json'), at('serve.json'), '--output', at('merged.json')])).toBe(0);
      const merged = JSON.parse(await readFile(at('merged.json'), 'utf8')) as { datasets: Array<{ numExamples: string }> };
      expect(merged.datasets[0]!.numExamples).toBe('5');
    });
  });

  it('--slice-by a feature that never appears: TFDV output (All Examples only) and a warning naming it', async () => {
    await withTempDir(async (dir) => {
      const at = (name: string) => join(dir, name);
      await writeFile(at('data.csv'), 'age,color\n1,red\n2,\n3,blue\n');
      expect(await statsCommand(['--input', at('data.csv'), '--output', at('nope.json'), '--slice-by', 'nope'])).toBe(0);
      const written = JSON.parse(await readFile(at('nope.json'), 'utf8')) as { datasets: Array<{ name: string; numExamples: string }> };
      expect(written.datasets.map((d) => [d.name, d.numExamples])).toEqual([['All Examples', '3']]);
      expect(stderr.filter((line) => line.includes('warning'))).toEqual([
        'stats: warning: --slice-by feature "nope" has no value in any example; the statistics hold only the "All Examples" dataset\n',
      ]);

      stderr.length = 0;
      expect(await statsCommand(['--input', at('data.csv'), '--output', at('two.json'), '--slice_by', 'color,nope,gone'])).toBe(0);
      expect(stderr.filter((line) => line.includes('warning'))).toEqual([
        'stats: warning: --slice-by features "nope", "gone" have no value in any example; the statistics hold only the "All Examples" dataset\n',
      ]);

      // Both features have values, never in the same example.
      await writeFile(at('apart.jsonl'), '{"a": 1}\n{"b": "x"}\n');
      stderr.length = 0;
      expect(await statsCommand(['--input', at('apart.jsonl'), '--output', at('apart.json'), '--slice-by', 'a,b'])).toBe(0);
      expect(stderr.filter((line) => line.includes('warning'))).toEqual([
        'stats: warning: --slice-by "a", "b": no example has values of all of them together; the statistics hold only the "All Examples" dataset\n',
      ]);

      stderr.length = 0;
      expect(await statsCommand(['--input', at('data.csv'), '--output', at('color.json'), '--slice-by', 'color'])).toBe(0);
      expect(stderr.filter((line) => line.includes('warning'))).toEqual([]);
    });
  });

  it('exits 2 with a message naming what was wrong', async () => {
    await withTempDir(async (dir) => {
      expect(await validateCommand(['--stats', join(dir, 'missing.json'), '--schema', join(dir, 's.pbtxt')])).toBe(2);
      expect(stderr.join('')).toContain(`millrace: cannot read ${join(dir, 'missing.json')}: no such file`);
      expect(await statsCommand(['--output', join(dir, 'x.json')])).toBe(2);
      expect(stderr.join('')).toContain('millrace: stats needs --input');
      expect(await statsCommand(['--input', join(dir, 'data.xlsx'), '--output', join(dir, 'x.json')])).toBe(2);
      expect(stderr.join('')).toContain(`cannot tell the format of ${join(dir, 'data.xlsx')} from its name; pass --format (csv, tsv, jsonl, parquet, tfrecord)`);
      expect(await schemaCommand(['guess'])).toBe(2);
      expect(await validateCommand(['--bogus'])).toBe(2);
      expect(stderr.join('')).toContain('unknown flag: --bogus');
    });
  });
});
