// `millrace predict` as users run it: the built CLI in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, tempDir, writeText } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');
const HALF_PLUS_TWO = join(ROOT, 'examples/models/half_plus_two');

function predict(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  const r = spawnSync(process.execPath, [BIN, 'predict', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: { path: string; dispose(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.dispose());

describe('millrace predict', () => {
  it('exits 2 naming the problem on usage errors', async () => {
    const input = await writeText(join(dir.path, 'x.jsonl'), '1\n');
    const out = join(dir.path, 'out');
    expect(predict(['--input', input, '--output', out])).toMatchObject({ status: 2, stderr: 'millrace: predict needs --model (or --export_only)\n' });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--included_fields=a', '--excluded_fields=b'])).toMatchObject({
      status: 2,
      stderr: 'millrace: set --included_fields or --excluded_fields, not both\n',
    });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', join(dir.path, 'nope.jsonl'), '--output', out])).toMatchObject({
      status: 2,
      stderr: `millrace: input ${join(dir.path, 'nope.jsonl')} does not exist\n`,
    });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--signature', 'other'])).toMatchObject({
      status: 2,
      stderr: 'millrace: model half_plus_two version 1 has no signature "other" (it has serving_default)\n',
    });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--tfrecord_payload', 'proto'])).toMatchObject({
      status: 2,
      stderr: 'millrace: --tfrecord_payload: unknown TFRecord payload "proto"; expected one of example, tensor, bytes\n',
    });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--workers', '-1'])).toMatchObject({
      status: 2,
      stderr: 'millrace: --workers must be 0 (one per core) or more, got -1\n',
    });
    expect(predict(['--export_only', '--input', input, '--output', out, '--validate_with', join(dir.path, 'schema.json')])).toMatchObject({
      status: 2,
      stderr: 'millrace: --validation_mode flag lists anomalies on prediction lines; with --export_only use --validation_mode refuse\n',
    });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--validate_with', join(dir.path, 'schema.json')])).toMatchObject({
      status: 2,
      stderr: `millrace: cannot read ${join(dir.path, 'schema.json')}: no such file\n`,
    });
    expect(predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--validation_mode', 'warn'])).toMatchObject({
      status: 2,
      stderr: 'millrace: --validation_mode: unknown validation mode "warn"; expected one of flag, refuse\n',
    });
    expect(predict(['--help']).stdout).toContain('--shard_index=int');
  });

  it('reads and writes DuckDB tables, naming the errors table in the summary', async () => {
    const db = join(dir.path, 'w.db');
    // Its own instance, closed before the CLI opens the file (DuckDB locks a file to one process).
    const instance = await DuckDBInstance.create(db);
    const connection = await instance.connect();
    await connection.run("CREATE TABLE rows AS SELECT * FROM (VALUES ('a', 1.0), ('b', NULL), ('c', 5.0)) AS t(id, x)");
    connection.closeSync();
    instance.closeSync();
    const output = `duckdb://${db}?table=preds`;
    const r = predict(['--model', HALF_PLUS_TWO, '--input', `duckdb://${db}?query=SELECT * FROM rows`, '--output', output, '--key_field', 'id', '--progress_interval_seconds', '60']);
    expect(r.stderr).not.toContain('millrace:');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^predict: 3 rows read, 2 predicted, 1 failed \\(see preds_errors\\) in .* 1 of 1 shards written, 1 in the job → duckdb://${db}\\?table=preds\\n$`));
    const check = await DuckDBInstance.create(db);
    const reader = await check.connect();
    const rows = await (await reader.runAndReadAll('SELECT key, instance, prediction, model_name, model_version FROM preds ORDER BY key')).getRowObjectsJS();
    reader.closeSync();
    check.closeSync();
    expect(rows).toEqual([
      { key: 'a', instance: '{"x":1}', prediction: '2.5', model_name: 'half_plus_two', model_version: 1n },
      { key: 'c', instance: '{"x":5}', prediction: '4.5', model_name: 'half_plus_two', model_version: 1n },
    ]);
  });

  it('prints a summary line, logs progress as JSON lines when stderr is not a terminal, and exits 1 when a row failed', async () => {
    const input = await writeText(join(dir.path, 'x.jsonl'), '{"id":"a","x":1}\n{"id":"b","x":"one"}\n{"id":"c","x":5}\n');
    const out = join(dir.path, 'out');
    const r = predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--key-field', 'id']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`^predict: 3 rows read, 2 predicted, 1 failed \\(see prediction\\.errors-\\*\\) in \\d+\\.\\d\\d s \\(\\d+ rows/s\\); 1 of 1 shards written, 1 in the job → ${out}\\n$`),
    );
    const progress = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(progress.at(-1)).toMatchObject({ event: 'progress', rows: 3, succeeded: 2, failed: 1, expected_rows: 3, shards_done: 1, shards: 1, eta_s: 0 });
    expect(await readFile(join(out, 'prediction.results-00000-of-00001'), 'utf8')).toBe(
      '{"key":"a","instance":{"x":1},"prediction":2.5}\n{"key":"c","instance":{"x":5},"prediction":4.5}\n',
    );
    // The same command again: nothing left to do, but the committed shard's failed row still fails the job.
    const again = predict(['--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--key-field', 'id']);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(
      new RegExp(
        `^predict: 0 rows read, 0 predicted, 0 failed in \\d+\\.\\d\\d s \\(0 rows/s\\); 0 of 1 shards written, 1 already committed \\(1 failed rows in them, see prediction\\.errors-\\*\\), 1 in the job → ${out}\\n$`,
      ),
    );
    const exported = predict(['--export_only', '--input', input, '--output', join(dir.path, 'out2'), '--key_field', 'id', '--progress_interval_seconds', '60']);
    expect(exported.status).toBe(0);
    expect(exported.stdout).toMatch(/^export: 3 rows read, 3 exported, 0 failed in /);
    // The key stays inside each exported instance, for the external job's keyField.
    expect(await readFile(join(dir.path, 'out2', 'export.instances-00000-of-00001'), 'utf8')).toBe('{"id":"a","x":1}\n{"id":"b","x":"one"}\n{"id":"c","x":5}\n');
    expect(predict(['--export_only', '--input', input, '--output', join(dir.path, 'out3'), '--key_field', 'id', '--instance_type', 'array'])).toMatchObject({
      status: 2,
      stderr:
        'millrace: --export_only: export mode writes the --key_field value inside each instance, which an array instance cannot hold; export objects (no --instance_type array) and set instanceType array and keyField in the external job\n',
    });
  });

  it('resumes after kill -9: every row ends up exactly once', async () => {
    const rows = 60_000;
    const lines = Array.from({ length: rows }, (_, i) => `{"id":${i},"x":${i % 1000}}`);
    const input = await writeText(join(dir.path, 'big.jsonl'), `${lines.join('\n')}\n`);
    const out = join(dir.path, 'out');
    const args = [BIN, 'predict', '--model', HALF_PLUS_TWO, '--input', input, '--output', out, '--key_field', 'id', '--records_per_unit', '2500', '--batch_size', '32'];

    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const committed = async (): Promise<string[]> => (await readdir(out).catch(() => [] as string[])).filter((n) => n.startsWith('prediction.results-'));
    const deadline = Date.now() + 20_000;
    while ((await committed()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = (await committed()).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(24);

    const rerun = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(rerun.status).toBe(0);
    expect(rerun.stdout).toContain(`${24 - before} of 24 shards written, ${before} already committed, 24 in the job`);

    const names = await readdir(out);
    expect(names.filter((n) => n.startsWith('.') || n.endsWith('.tmp'))).toEqual([]);
    const seen = new Uint8Array(rows);
    for (const name of names.filter((n) => n.startsWith('prediction.'))) {
      for (const line of jsonLines(await readFile(join(out, name), 'utf8')) as Array<{ key: number; instance: { x: number }; prediction: number }>) {
        expect(name.startsWith('prediction.results-')).toBe(true);
        seen[line.key]!++;
        if (line.key % 9973 === 0) expect(line.prediction).toBe(line.instance.x / 2 + 2);
      }
    }
    expect(seen.every((n) => n === 1)).toBe(true);
  });
});
