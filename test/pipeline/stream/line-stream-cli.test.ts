// `millrace stream` from standard input and from a file (the built CLI in a child process) into DuckDB.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempModelRepository } from '../../support/model-repository.js';
import { addConstantModel } from '../../support/onnx-graphs.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');

let repo: TempModelRepository;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  repo = await TempModelRepository.create();
  await repo.addVersion('plus_half', 1, addConstantModel(0.5));
});
afterAll(() => repo?.dispose());

function stream(args: string[], input?: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'stream', '--model', repo.basePath('plus_half'), '--progress_interval_seconds', '0', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

async function query(db: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRows();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('millrace stream from lines', () => {
  it('stdin: ids are line numbers, a bad line is a dead letter, blank lines are skipped', async () => {
    const db = join(repo.root, 'stdin.db');
    const r = stream(['--source', 'stdin', '--sink', `duckdb://${db}?table=preds`, '--window_size', '8', '--idle_exit_ms', '500'], '1\n2\n\nnot json\n5\n');
    expect(r.status, r.stderr).toBe(0);
    expect(await query(db, 'SELECT message_id, instance, prediction FROM preds ORDER BY message_id')).toEqual([
      ['1', '1', '1.5'],
      ['2', '2', '2.5'],
      ['5', '5', '5.5'],
    ]);
    expect(await query(db, 'SELECT message_id, body, deliveries FROM preds_dead_letters')).toEqual([['4', 'not json', 1]]);
  });

  it('a file, run twice: ids are ABSOLUTE_PATH:line and the second run adds no row', async () => {
    const file = join(repo.root, 'rows.jsonl');
    await writeFile(file, '10\n20\n30\n');
    const db = join(repo.root, 'file.db');
    const args = ['--source', file, '--sink', `duckdb://${db}?table=preds`, '--idle_exit_ms', '500'];
    for (let run = 0; run < 2; run++) {
      const r = stream(args);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(await query(db, 'SELECT message_id, prediction FROM preds ORDER BY message_id')).toEqual([
      [`${file}:1`, '10.5'],
      [`${file}:2`, '20.5'],
      [`${file}:3`, '30.5'],
    ]);
  });

  it('ends by itself once a file or stdin is read and every line acknowledged (no --idle_exit_ms)', async () => {
    const file = join(repo.root, 'ends.jsonl');
    await writeFile(file, '1\n2\nnot json\n4\n');
    const db = join(repo.root, 'ends.db');
    const fromFile = stream(['--source', file, '--sink', `duckdb://${db}?table=preds`, '--window_size', '2']);
    expect(fromFile.status, fromFile.stderr).toBe(0);
    const stopped = (stderr: string): Record<string, unknown> => JSON.parse(stderr.split('\n').find((l) => l.includes('"stream_stopped"'))!) as Record<string, unknown>;
    expect(stopped(fromFile.stderr)).toMatchObject({ reason: 'exhausted', received: 4, predicted: 3, deadLettered: 1, acked: 4 });
    expect(await query(db, 'SELECT message_id, prediction FROM preds ORDER BY message_id')).toEqual([
      [`${file}:1`, '1.5'],
      [`${file}:2`, '2.5'],
      [`${file}:4`, '4.5'],
    ]);
    const fromStdin = stream(['--source', 'stdin', '--sink', `duckdb://${join(repo.root, 'ends-stdin.db')}?table=preds`], '7\n8\n');
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    expect(stopped(fromStdin.stderr)).toMatchObject({ reason: 'exhausted', received: 2, predicted: 2, acked: 2 });
  });

  it('a missing file is a usage error naming it', () => {
    const missing = join(repo.root, 'nope.jsonl');
    expect(stream(['--source', missing, '--sink', 'stdout'])).toMatchObject({ status: 2, stderr: `millrace: cannot read ${missing}: no such file\n` });
  });
});
