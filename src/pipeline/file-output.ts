/**
 * A directory as a job's output: JSON lines in `prediction.results-…` / `prediction.errors-…` shard files
 * (see shard-files.ts), with `_job.json` recording the job.
 */
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RowAnomaly } from '../validation/row-schema-check.js';
import { instanceJson } from './instance-json.js';
import { claimOutputDirectory, type JobManifest } from './job-manifest.js';
import type { ClaimedShards, ErrorRow, JobOutput, ResultRow, ShardSink } from './job-output.js';
import { anomalyJson } from './row-validation.js';
import { listOutputDirectory, removeStaleTemporaries, ShardOutput, shardFileNames, type JobMode } from './shard-files.js';
import type { OutputShard } from './work-plan.js';

const MAIN_FILE = /^(prediction\.results|export\.instances)-\d+-of-\d+$/;

export class FileOutput implements JobOutput {
  private constructor(
    readonly directory: string,
    private readonly mode: JobMode,
  ) {}

  static async create(directory: string, mode: JobMode): Promise<FileOutput> {
    await mkdir(directory, { recursive: true });
    return new FileOutput(directory, mode);
  }

  async claim(manifest: JobManifest, owned: readonly OutputShard[]): Promise<ClaimedShards> {
    const entries = await listOutputDirectory(this.directory);
    await claimOutputDirectory(this.directory, manifest, [...entries].some((e) => MAIN_FILE.test(e)));
    const todo = owned.filter((s) => !entries.has(shardFileNames(this.mode, s.index, s.count).main));
    const finalNames = new Set(todo.flatMap((s) => Object.values(shardFileNames(this.mode, s.index, s.count))));
    await removeStaleTemporaries(this.directory, entries, finalNames);
    let committedFailedRows = 0;
    for (const shard of owned) {
      if (todo.includes(shard)) continue;
      committedFailedRows += await countLines(join(this.directory, shardFileNames(this.mode, shard.index, shard.count).errors));
    }
    return { todo, committedFailedRows };
  }

  async openShard(shard: OutputShard): Promise<ShardSink> {
    const out = await ShardOutput.create(this.directory, this.mode, shard.index, shard.count);
    return {
      writeResult: (row) => out.writeMain(resultLine(row)),
      writeError: (row) => out.writeError(errorLine(row)),
      commit: () => out.commit(),
      discard: () => out.discard(),
    };
  }

  async close(): Promise<void> {}
}

/** `{"key"?, "instance", "excluded"?, "prediction", "anomalies"?}`; in export mode the instance alone. */
function resultLine(row: ResultRow): string {
  if (row.prediction === undefined) return row.instance;
  const key = row.key !== undefined ? `"key":${instanceJson(row.key.value)},` : '';
  const excluded = row.excluded !== undefined ? `,"excluded":${instanceJson(row.excluded)}` : '';
  return `{${key}"instance":${row.instance}${excluded},"prediction":${row.prediction}${anomaliesMember(row.anomalies)}}`;
}

/** `{"key"?, "instance"? | "raw_record"?, "error", "input", "line"|"row"|"record", "anomalies"?}`. */
function errorLine(row: ErrorRow): string {
  const key = row.key !== undefined ? `"key":${instanceJson(row.key)},` : '';
  const instance =
    row.instance !== undefined ? `"instance":${instanceJson(row.instance)},` : row.rawRecord !== undefined ? `"raw_record":${instanceJson(row.rawRecord)},` : '';
  const error = JSON.stringify({ code: row.error.code, message: row.error.message });
  return `{${key}${instance}"error":${error},"input":${JSON.stringify(row.input)},"${row.positionKind}":${row.position}${anomaliesMember(row.anomalies)}}`;
}

function anomaliesMember(anomalies: readonly RowAnomaly[] | undefined): string {
  return anomalies === undefined || anomalies.length === 0 ? '' : `,"anomalies":${JSON.stringify(anomalies.map(anomalyJson))}`;
}

/** Lines of a committed errors file (one per failed row), read in chunks; a missing file has none. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return lines;
}
