/**
 * A directory as a job's output: JSON lines in `prediction.results-…` / `prediction.errors-…` shard files
 * (see shard-files.ts), with `_job.json` recording the job.
 */
import { mkdir } from 'node:fs/promises';
import type { RowAnomaly } from '../validation/row-schema-check.js';
import { instanceJson } from './instance-json.js';
import { claimOutputDirectory, type JobManifest } from './job-manifest.js';
import type { ErrorRow, JobOutput, ResultRow, ShardSink } from './job-output.js';
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

  async claim(manifest: JobManifest, owned: readonly OutputShard[]): Promise<OutputShard[]> {
    const entries = await listOutputDirectory(this.directory);
    await claimOutputDirectory(this.directory, manifest, [...entries].some((e) => MAIN_FILE.test(e)));
    const todo = owned.filter((s) => !entries.has(shardFileNames(this.mode, s.index, s.count).main));
    const finalNames = new Set(todo.flatMap((s) => Object.values(shardFileNames(this.mode, s.index, s.count))));
    await removeStaleTemporaries(this.directory, entries, finalNames);
    return todo;
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

function errorLine(row: ErrorRow): string {
  const key = row.key !== undefined ? `"key":${instanceJson(row.key)},` : '';
  const instance = row.instance !== undefined ? `"instance":${instanceJson(row.instance)},` : '';
  const error = JSON.stringify({ code: row.error.code, message: row.error.message });
  return `{${key}${instance}"error":${error},"input":${JSON.stringify(row.input)},"${row.positionKind}":${row.position}${anomaliesMember(row.anomalies)}}`;
}

function anomaliesMember(anomalies: readonly RowAnomaly[] | undefined): string {
  return anomalies === undefined || anomalies.length === 0 ? '' : `,"anomalies":${JSON.stringify(anomalies.map(anomalyJson))}`;
}
