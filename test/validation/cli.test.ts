import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schemaCommand } from '../../src/cli/schema.js';
import { statsCommand } from '../../src/cli/stats.js';
import { validateCommand } from '../../src/cli/validate.js';
import { withTempDir } from './support.js';

let stderr: string[];

beforeEach(() => {
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  vi.restoreAllMocks();
});

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
