import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { ServingError } from '../errors/serving-error.js';
import { createLogger } from '../logging/logger.js';
import { EXPORT_KEY_IN_ARRAY, runBatchJob, type BatchJobSummary, type JobRun } from '../pipeline/batch-job.js';
import { openEmbeddedPredictor } from '../pipeline/embedded-predictor.js';
import { isModelUrl, openRemoteModel, type JobModel } from '../pipeline/remote-model.js';
import type { InstanceType, ShapingOptions } from '../pipeline/instance-shaper.js';
import { ProgressReporter } from '../pipeline/progress-reporter.js';
import { outputDisplay } from '../pipeline/job-io.js';
import { defaultWorkerCount, MAX_DEFAULT_WORKERS } from '../pipeline/job-workers.js';
import { parseInputFormat } from '../readers/input-format.js';
import { parseTfRecordPayload, type TfRecordPayload } from '../readers/tfrecord-payload.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../readers/tfrecord-records.js';
import { loadRowValidation, parseValidationMode, type ValidationMode } from '../pipeline/row-validation.js';
import { isTableUrl, parseTableUrl } from '../readers/table-url.js';
import { DEFAULT_SIGNATURE, type Signature } from '../runtime/signature.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec, type FlagValues } from './flags.js';

const PREDICT_FLAGS: readonly FlagSpec[] = [
  { name: 'model', type: 'string', default: '', help: 'a version directory, a model base path, a repository root or a model config file; or a server URL (http://, grpc://, v2+http://, …)' },
  { name: 'model_name', type: 'string', default: '', help: 'the model to use from a repository root or config file; required with a server URL' },
  { name: 'version', type: 'int', default: -1, help: 'the model version to use; -1 = the newest' },
  { name: 'label', type: 'string', default: '', help: 'server URL only: the version label to use, resolved once at the start' },
  { name: 'remote_concurrency', type: 'int', default: 8, help: 'server URL only: batches in flight at once' },
  { name: 'remote_deadline_ms', type: 'int', default: 30000, help: 'server URL only: deadline of one model call, retries included' },
  { name: 'remote_attempt_timeout_ms', type: 'int', default: 10000, help: 'server URL only: longest wait for one attempt of a model call; one that runs out is retried with backoff within --remote_deadline_ms (0 = an attempt may take the whole deadline)' },
  { name: 'signature', type: 'string', default: '', help: `the signature to run; empty = ${DEFAULT_SIGNATURE}` },
  { name: 'input', type: 'string', default: '', help: 'input files: a file, a directory (read recursively) or a glob, several comma-separated; or a table: duckdb:///path.db?table=T|query=SQL, postgres://user@host:port/db?table=T|query=SQL' },
  { name: 'output', type: 'string', default: '', help: 'directory for prediction.results-* and prediction.errors-* (created if needed); or a table: duckdb:///path.db?table=T, postgres://…/db?table=T (errors in T_errors, shard markers in T_shards)' },
  { name: 'format', type: 'string', default: '', help: 'input format when file names do not tell: jsonl, csv, tsv, parquet, tfrecord (plain or gzip, told by the bytes)' },
  { name: 'tfrecord_payload', type: 'string', default: 'example', help: 'what a TFRecord record holds: example (a tf.Example, read as named fields), tensor (a TensorProto, one instance\'s value) or bytes (sent as {"b64": …})' },
  { name: 'max_record_bytes', type: 'int', default: DEFAULT_MAX_RECORD_BYTES, help: 'longest TFRecord record read; a longer one becomes an error row' },
  { name: 'batch_size', type: 'int', default: 256, help: 'instances per model call' },
  { name: 'workers', type: 'int', default: 0, help: `threads running output shards at once, each with its own model session; 0 = one per core, at most ${MAX_DEFAULT_WORKERS} (table inputs and outputs and server URLs use one)` },
  { name: 'key_field', type: 'string', default: '', help: 'field passed through to the output as "key" and left out of the instance (with --export_only: kept inside each exported instance, for the external job\'s keyField)' },
  { name: 'included_fields', type: 'string', default: '', help: 'comma-separated fields that make up the instance, in this order' },
  { name: 'excluded_fields', type: 'string', default: '', help: 'comma-separated fields left out of the instance (echoed as "excluded" when there is no key)' },
  { name: 'instance_type', type: 'string', default: '', help: 'object (named inputs from fields) or array (field values in order, for a single input); empty = as read' },
  { name: 'shard_index', type: 'int', default: 0, help: 'which of --shard_count processes this is (a Kubernetes Indexed Job\'s completion index)' },
  { name: 'shard_count', type: 'int', default: 1, help: 'how many processes share the job; each writes every shard_count-th output shard' },
  { name: 'num_output_shards', type: 'int', default: 0, help: 'output shards of the whole job; 0 = one per work unit' },
  { name: 'records_per_unit', type: 'int', default: 100000, help: 'records per work unit of a text file (Parquet files split at row groups)' },
  { name: 'validate_with', type: 'string', default: '', help: 'a TFDV schema (.json, or text proto) each row is checked against before it is predicted (types, domains, value counts, presence, ranges)' },
  { name: 'validation_mode', type: 'string', default: 'flag', help: 'with --validate_with: flag (predict the row, and list its anomalies as "anomalies" on its line) or refuse (write it to the errors output with its anomalies, unpredicted)' },
  { name: 'validation_environment', type: 'string', default: '', help: 'with --validate_with: check only the features of this schema environment (e.g. SERVING)' },
  { name: 'export_only', type: 'bool', default: false, help: 'write the shaped instances (export.instances-*) without running a model; --model is then optional' },
  { name: 'progress_interval_seconds', type: 'float', default: 5, help: 'seconds between progress lines on stderr when it is not a terminal' },
  { name: 'tensorflow_intra_op_parallelism', type: 'int', default: 0, help: 'threads used inside one operator (onnxruntime intra-op pool); 0 = runtime default' },
  { name: 'tensorflow_inter_op_parallelism', type: 'int', default: 0, help: 'operators run in parallel (onnxruntime inter-op pool); 0 = runtime default' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace predict --model DIR|URL --input PATH|GLOB|DIR|TABLE_URL --output DIR|TABLE_URL [flags]
       millrace predict --export_only --input PATH --output DIR [--model DIR] [flags]

Runs a model over JSON lines, CSV/TSV, Parquet or TFRecord files, like a Vertex AI batch prediction job. Every input row
ends up as one line of prediction.results-SSSSS-of-NNNNN ({"key"?, "instance", "prediction"}) or of
prediction.errors-SSSSS-of-NNNNN ({"key"?, "instance"? | "raw_record"?, "error": {code, message}, "input",
"line"|"row"|"record"}: the instance shaped as on a result line, or the record as read when it could not be shaped).
Shards are written under temporary names and renamed when complete; running the same command again resumes,
skipping committed shards (their failed rows still count in the summary and the exit code). Processes with --shard_index 0..K-1 and --shard_count K together write the same
files as one process. With a server URL as --model (and --model_name), batches go to that server,
--remote_concurrency of them at once. A table input is read in chunks and split into row ranges ordered by
--key_field (DuckDB tables: by rowid; without either, a single-shard job only). A table output gets one row per
prediction (key, instance, prediction, model_name, model_version) and each shard commits in one transaction
with its marker row in T_shards, so a rerun skips committed shards. --validate_with checks each row against a TFDV
schema first: flagged rows are predicted with "anomalies" on their line, refused ones go to the errors output.
Output shards run in --workers threads at once, each with its own model session.
Progress goes to stderr, a summary line to stdout. Exit code 0 when every row was
predicted, 1 when some row failed, 2 on usage or input errors.

Flags:
${flagsHelp(PREDICT_FLAGS)}
`;

/**
 * A batch job allocates fast and keeps little, and V8 lets a heap with a small live set grow to about four times
 * it before a full collection; with a heap per worker thread that is most of the job's memory. Growing by 1.75×
 * keeps peak memory close to what the live data needs, for little more CPU time (measured on flights-3m). Process-wide,
 * so worker threads get it too; a growing factor given in NODE_OPTIONS or on the command line wins.
 */
function boundHeapGrowth(): void {
  const given = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((arg) => /heap[-_]growing[-_]percent/.test(arg));
  if (!given) setFlagsFromString('--heap-growing-percent=75');
}

export async function predictCommand(argv: readonly string[]): Promise<number> {
  boundHeapGrowth();
  const { flags, positional } = parseFlags(PREDICT_FLAGS, argv);
  if (bool(flags, 'help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
  const settings = readSettings(flags);
  // Workers share the cores, so each session's operator pool gets its share unless the flag says otherwise.
  const runtime = {
    intraOpParallelism: num(flags, 'tensorflow_intra_op_parallelism') || (settings.workers > 1 ? Math.max(1, Math.floor(availableParallelism() / settings.workers)) : 0),
    interOpParallelism: num(flags, 'tensorflow_inter_op_parallelism'),
  };
  let model: JobModel | undefined;
  try {
    if (isModelUrl(settings.modelDir)) {
      model = await openRemoteModel(settings.modelDir, {
        modelName: str(flags, 'model_name'),
        version: num(flags, 'version') >= 0 ? num(flags, 'version') : undefined,
        label: optional(str(flags, 'label')),
        concurrency: settings.remoteConcurrency,
        deadlineMs: settings.remoteDeadlineMs,
        attemptTimeoutMs: settings.remoteAttemptTimeoutMs,
      });
    } else if (settings.modelDir !== '') {
      if (str(flags, 'label') !== '') throw new FlagError('--label needs a server URL as --model (a model directory has no labels)');
      model = await openEmbeddedPredictor({
        dir: settings.modelDir,
        modelName: optional(str(flags, 'model_name')),
        version: num(flags, 'version') >= 0 ? num(flags, 'version') : undefined,
        runtime,
        logger: createLogger({ minLevel: 'warn' }),
      });
    }
    const signature = model === undefined ? undefined : pickSignature(model, settings.signatureName, settings.shaping);
    let run: JobRun = { mode: 'export', signature };
    if (!settings.exportOnly && model !== undefined && signature !== undefined) {
      const modelSpec = { name: model.modelName, version: model.version, signatureName: signature.key };
      run = { mode: 'predict', target: { predictor: model.predictor, modelSpec, signature, splitOn: model.splitOn } };
    }
    const validation =
      settings.validateWith === undefined ? undefined : await loadRowValidation(settings.validateWith.file, settings.validateWith.mode, settings.validateWith.environment);
    const summary = await runBatchJob({
      plan: {
        input: settings.input,
        format: settings.format,
        recordsPerUnit: settings.recordsPerUnit,
        numOutputShards: settings.numOutputShards,
        tfrecord: { payload: settings.tfrecordPayload, maxRecordBytes: settings.maxRecordBytes },
      },
      output: settings.output,
      shaping: settings.shaping,
      run,
      batchSize: settings.batchSize,
      batchesInFlight: model?.batchesInFlight,
      shardIndex: settings.shardIndex,
      shardCount: settings.shardCount,
      model: model === undefined || signature === undefined ? undefined : { name: model.modelName, version: model.version, signature: signature.key },
      progress: new ProgressReporter(process.stderr, num(flags, 'progress_interval_seconds') * 1000),
      workers: settings.workers,
      validation,
      workerModel: model === undefined || isModelUrl(settings.modelDir) ? undefined : { dir: settings.modelDir, modelName: model.modelName, version: model.version, runtime },
    });
    process.stdout.write(`${summaryLine(run.mode, summary, outputDisplay(settings.output))}\n`);
    // Rows that failed in shards an earlier run committed count too, so a retried job still reports them.
    return summary.failed + summary.committedFailedRows > 0 ? 1 : 0;
  } catch (err) {
    // Problems with the flags' targets (missing input, unloadable model, a foreign output directory) are usage errors.
    if (err instanceof ServingError && USAGE_CODES.has(err.code)) {
      process.stderr.write(`millrace: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await model?.close();
  }
}

const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'PERMISSION_DENIED']);

interface PredictSettings {
  readonly modelDir: string;
  readonly signatureName: string;
  readonly input: string;
  readonly output: string;
  readonly format: string;
  readonly batchSize: number;
  readonly remoteConcurrency: number;
  readonly remoteDeadlineMs: number;
  readonly remoteAttemptTimeoutMs: number;
  readonly shardIndex: number;
  readonly shardCount: number;
  readonly numOutputShards: number;
  readonly recordsPerUnit: number;
  readonly exportOnly: boolean;
  readonly validateWith: { readonly file: string; readonly mode: ValidationMode; readonly environment: string | undefined } | undefined;
  /** Threads for shards (1 where only one can work: tables, remote models). */
  readonly workers: number;
  readonly tfrecordPayload: TfRecordPayload;
  readonly maxRecordBytes: number;
  readonly shaping: ShapingOptions;
}

function readSettings(flags: FlagValues): PredictSettings {
  const exportOnly = bool(flags, 'export_only');
  const modelDir = str(flags, 'model');
  if (modelDir === '' && !exportOnly) throw new FlagError('predict needs --model (or --export_only)');
  const input = str(flags, 'input');
  if (input === '') throw new FlagError('predict needs --input');
  const output = str(flags, 'output');
  if (output === '') throw new FlagError('predict needs --output');
  for (const url of [input, output].filter(isTableUrl)) {
    try {
      parseTableUrl(url);
    } catch (err) {
      throw new FlagError((err as Error).message);
    }
  }
  const format = str(flags, 'format');
  if (format !== '') {
    try {
      parseInputFormat(format);
    } catch (err) {
      throw new FlagError((err as Error).message);
    }
  }
  let tfrecordPayload: TfRecordPayload;
  try {
    tfrecordPayload = parseTfRecordPayload(str(flags, 'tfrecord_payload'));
  } catch (err) {
    throw new FlagError(`--tfrecord_payload: ${(err as Error).message}`);
  }
  if (isModelUrl(modelDir) && str(flags, 'model_name') === '') throw new FlagError('--model_name is required when --model is a server URL');
  const positive = (name: string): number => {
    const v = num(flags, name);
    if (v < 1) throw new FlagError(`--${name} must be at least 1, got ${v}`);
    return v;
  };
  const nonNegative = (name: string): number => {
    const v = num(flags, name);
    if (v < 0) throw new FlagError(`--${name} must not be negative, got ${v}`);
    return v;
  };
  const shardCount = positive('shard_count');
  const shardIndex = num(flags, 'shard_index');
  if (shardIndex < 0 || shardIndex >= shardCount) throw new FlagError(`--shard_index must be in [0, ${shardCount - 1}] for --shard_count ${shardCount}, got ${shardIndex}`);
  const numOutputShards = num(flags, 'num_output_shards');
  if (numOutputShards < 0) throw new FlagError(`--num_output_shards must be 0 (one per work unit) or more, got ${numOutputShards}`);
  const validateWith = readValidation(flags, exportOnly, output);
  const workersFlag = num(flags, 'workers');
  if (workersFlag < 0) throw new FlagError(`--workers must be 0 (one per core) or more, got ${workersFlag}`);
  const oneThread = isModelUrl(modelDir) || isTableUrl(input) || isTableUrl(output);
  const workers = oneThread ? 1 : workersFlag === 0 ? defaultWorkerCount() : workersFlag;
  if (num(flags, 'progress_interval_seconds') < 0) throw new FlagError('--progress_interval_seconds must not be negative');
  return {
    modelDir,
    signatureName: str(flags, 'signature') || DEFAULT_SIGNATURE,
    input,
    output,
    format,
    batchSize: positive('batch_size'),
    remoteConcurrency: positive('remote_concurrency'),
    remoteDeadlineMs: positive('remote_deadline_ms'),
    remoteAttemptTimeoutMs: nonNegative('remote_attempt_timeout_ms'),
    shardIndex,
    shardCount,
    numOutputShards,
    recordsPerUnit: positive('records_per_unit'),
    exportOnly,
    validateWith,
    workers,
    tfrecordPayload,
    maxRecordBytes: positive('max_record_bytes'),
    shaping: readShaping(flags),
  };
}

function readValidation(flags: FlagValues, exportOnly: boolean, output: string): PredictSettings['validateWith'] {
  const file = str(flags, 'validate_with');
  const environment = optional(str(flags, 'validation_environment'));
  let mode: ValidationMode;
  try {
    mode = parseValidationMode(str(flags, 'validation_mode'));
  } catch (err) {
    throw new FlagError(`--validation_mode: ${(err as Error).message}`);
  }
  if (file === '') {
    if (environment !== undefined) throw new FlagError('--validation_environment needs --validate_with');
    return undefined;
  }
  // Flagged rows carry their anomalies on their result line, which export files and tables do not have.
  if (mode === 'flag' && exportOnly) throw new FlagError('--validation_mode flag lists anomalies on prediction lines; with --export_only use --validation_mode refuse');
  if (mode === 'flag' && isTableUrl(output)) throw new FlagError('--validation_mode flag lists anomalies on prediction lines, which a table output does not have; use --validation_mode refuse');
  return { file, mode, environment };
}

function readShaping(flags: FlagValues): ShapingOptions {
  const keyField = optional(str(flags, 'key_field'));
  const includedFields = list(str(flags, 'included_fields'));
  const excludedFields = list(str(flags, 'excluded_fields'));
  if (includedFields !== undefined && excludedFields !== undefined) throw new FlagError('set --included_fields or --excluded_fields, not both');
  if (keyField !== undefined && includedFields?.includes(keyField)) throw new FlagError(`--key_field ${keyField} is passed through, so it cannot be one of --included_fields`);
  const type = str(flags, 'instance_type');
  if (type !== '' && type !== 'object' && type !== 'array') throw new FlagError(`--instance_type must be object or array, got "${type}"`);
  if (bool(flags, 'export_only') && keyField !== undefined && type === 'array') throw new FlagError(`--export_only: ${EXPORT_KEY_IN_ARRAY}`);
  return { keyField, includedFields, excludedFields, instanceType: type === '' ? undefined : (type as InstanceType) };
}

function pickSignature(model: JobModel, name: string, shaping: ShapingOptions): Signature {
  const signature = model.signatures.get(name);
  if (signature === undefined) {
    throw new FlagError(`model ${model.modelName} version ${model.version} has no signature "${name}" (it has ${[...model.signatures.keys()].join(', ')})`);
  }
  if (shaping.instanceType === 'array' && signature.inputs.size !== 1) {
    throw new FlagError(`--instance_type array feeds one input, but signature ${name} has ${signature.inputs.size} (${[...signature.inputs.keys()].join(', ')}); use --instance_type object`);
  }
  return signature;
}

function summaryLine(mode: JobRun['mode'], s: BatchJobSummary, output: string): string {
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(s.rows / seconds) : 0;
  const verb = mode === 'predict' ? 'predicted' : 'exported';
  const table = isTableUrl(output) ? parseTableUrl(output).source : undefined;
  const errorsAt = table !== undefined && 'table' in table ? `${table.table}_errors` : `${mode === 'predict' ? 'prediction' : 'export'}.errors-*`;
  const errors = s.failed > 0 ? ` (see ${errorsAt})` : '';
  const committedFailed = s.committedFailedRows > 0 ? ` (${s.committedFailedRows} failed rows in them, see ${errorsAt})` : '';
  const skipped = s.shardsSkipped > 0 ? `, ${s.shardsSkipped} already committed${committedFailed}` : '';
  return (
    `${mode}: ${s.rows} rows read, ${s.succeeded} ${verb}, ${s.failed} failed${errors} in ${seconds.toFixed(2)} s (${rate} rows/s); ` +
    `${s.shardsWritten} of ${s.shardsOwned} shards written${skipped}, ${s.shardsTotal} in the job → ${output}`
  );
}

function optional(value: string): string | undefined {
  return value === '' ? undefined : value;
}

function list(value: string): string[] | undefined {
  if (value === '') return undefined;
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
