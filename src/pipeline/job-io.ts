/**
 * Picks a job's input and output by what `--input` and `--output` name: files and a directory, or table URLs
 * (duckdb://…, postgres://…). Both ends of one job may be tables, files, or one of each.
 */
import { ServingError } from '../errors/serving-error.js';
import { FileOutput } from './file-output.js';
import type { JobOutput } from './job-output.js';
import type { JobMode } from './shard-files.js';
import type { SqlSession } from '../readers/sql-session.js';
import { isTableUrl, parseTableUrl } from '../readers/table-url.js';
import { dealShards, planWork, type PlanOptions, type WorkPlan } from './work-plan.js';

export interface JobInput {
  readonly plan: WorkPlan;
  /** The connection table units are read through. */
  readonly tables?: SqlSession | undefined;
}

export interface InputOptions {
  readonly plan: Omit<PlanOptions, 'exclude'>;
  readonly keyField: string | undefined;
  readonly shardCount: number;
  /** Files under this directory are never input. */
  readonly exclude: string | undefined;
}

export async function openJobInput(options: InputOptions): Promise<JobInput> {
  const { plan } = options;
  if (!isTableUrl(plan.input)) return { plan: await planWork({ ...plan, exclude: options.exclude }) };
  if (!Number.isInteger(plan.recordsPerUnit) || plan.recordsPerUnit < 1) {
    throw new ServingError('INVALID_ARGUMENT', `records per work unit must be a positive integer, got ${plan.recordsPerUnit}`);
  }
  const url = parseTableUrl(plan.input);
  // The database clients load only for table jobs: they cost a file job's start-up time for nothing.
  const { openSqlSession } = await import('../readers/sql-session.js');
  const { planTableUnits } = await import('./tables/table-plan.js');
  const session = await openSqlSession(url, false);
  try {
    const { input, units } = await planTableUnits(url, session, {
      recordsPerUnit: plan.recordsPerUnit,
      numOutputShards: plan.numOutputShards,
      shardCount: options.shardCount,
      keyField: options.keyField,
    });
    return { plan: { files: [], table: input, units, shards: dealShards(units, plan.numOutputShards) }, tables: session };
  } catch (err) {
    await session.close();
    throw err;
  }
}

export interface OutputOptions {
  readonly output: string;
  readonly mode: JobMode;
  readonly hasKey: boolean;
  readonly model: { readonly name: string; readonly version: number } | undefined;
}

export async function openJobOutput(options: OutputOptions): Promise<JobOutput> {
  if (!isTableUrl(options.output)) return FileOutput.create(options.output, options.mode);
  const url = parseTableUrl(options.output);
  if (options.mode === 'export') throw new ServingError('INVALID_ARGUMENT', `${url.display}: --export_only writes files; give a directory as --output`);
  const { TableOutput } = await import('./tables/table-output.js');
  return TableOutput.open(url, { hasKey: options.hasKey, model: options.model });
}

/** `--output` as shown to people: a table URL's password masked. */
export function outputDisplay(output: string): string {
  return isTableUrl(output) ? parseTableUrl(output).display : output;
}
