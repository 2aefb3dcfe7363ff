import { accessSync, constants, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseChannelArguments } from '../api/grpc/grpc-server.js';
import { startModelServer, type ModelSource, type RequestLogSettings } from '../api/model-server.js';
import { DEFAULT_LISTEN_BACKLOG, DEFAULT_MAX_INFLIGHT_REQUESTS } from '../api/rest/rest-server.js';
import { toServingError } from '../errors/serving-error.js';
import { unreadableReason } from '../repository/config-file-text.js';
import { createLogger } from '../logging/logger.js';
import { DEFAULT_REQUEST_LOG_BUFFER_BYTES, DEFAULT_REQUEST_LOG_FILE_BYTES } from '../serving/request-log/request-log-writer.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec, type FlagValues } from './flags.js';

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'port', type: 'int', default: 8500, help: 'gRPC port (TF Serving PredictionService and ModelService); 0 = no gRPC over TCP' },
  { name: 'grpc_socket_path', type: 'string', default: '', help: 'also serve gRPC on this UNIX domain socket' },
  {
    name: 'grpc_channel_arguments',
    type: 'string',
    default: '',
    help: 'gRPC server arguments key=value,key=value (e.g. grpc.max_receive_message_length=67108864); messages up to 2147483647 bytes are accepted unless lowered here, as in TF Serving',
  },
  {
    name: 'grpc_max_threads',
    type: 'int',
    default: 4 * availableParallelism(),
    help: 'accepted for TF Serving compatibility; calls are served by one event loop (bound concurrent calls per connection with grpc.max_concurrent_streams in --grpc_channel_arguments)',
  },
  { name: 'enable_grpc_healthcheck_service', type: 'bool', default: false, help: 'serve grpc.health.v1.Health; "", ModelService and PredictionService report SERVING' },
  { name: 'enable_serialization_as_tensor_content', type: 'bool', default: false, help: 'write gRPC Predict outputs as tensor_content bytes instead of typed *_val fields' },
  { name: 'rest_api_port', type: 'int', default: 8501, help: 'REST API port; 0 picks a free port' },
  { name: 'rest_api_host', type: 'string', default: '0.0.0.0', help: 'address the REST API listens on' },
  { name: 'rest_api_timeout_in_ms', type: 'int', default: 30000, help: 'deadline of every REST call; expiry answers 504' },
  { name: 'rest_api_enable_cors_support', type: 'bool', default: false, help: 'add Access-Control-Allow-* headers to every /v1 response' },
  { name: 'rest_api_max_body_bytes', type: 'int', default: 64 * 1024 * 1024, help: 'largest request body accepted, after gunzip; larger answers 429' },
  {
    name: 'rest_api_max_inflight_requests',
    type: 'int',
    default: DEFAULT_MAX_INFLIGHT_REQUESTS,
    help: 'POST requests handled at once; one more is answered 503 at once, before its body is read; 0 = no limit',
  },
  { name: 'rest_api_listen_backlog', type: 'int', default: DEFAULT_LISTEN_BACKLOG, help: 'connections the kernel queues before the REST server accepts them (capped by net.core.somaxconn)' },
  { name: 'rest_api_num_threads', type: 'int', default: 4 * availableParallelism(), help: 'accepted for TF Serving compatibility; requests are served by one event loop' },
  { name: 'model_name', type: 'string', default: 'default', help: 'model name in single-model mode' },
  { name: 'model_base_path', type: 'string', default: '', help: 'directory holding numbered version directories (single-model mode)' },
  { name: 'model_config_file', type: 'string', default: '', help: 'TF Serving model config file (text ModelServerConfig); overrides --model_name/--model_base_path' },
  { name: 'model_config_file_poll_wait_seconds', type: 'int', default: 0, help: 'seconds between re-reads of --model_config_file; 0 reads it once' },
  { name: 'file_system_poll_wait_seconds', type: 'int', default: 1, help: 'seconds between scans for new or removed versions; 0 scans once' },
  { name: 'allow_version_labels_for_unavailable_models', type: 'bool', default: false, help: 'let a new label point at a version that is not loaded yet' },
  { name: 'max_num_load_retries', type: 'int', default: 5, help: 'extra attempts after a version fails to load' },
  { name: 'load_retry_interval_micros', type: 'int', default: 60_000_000, help: 'wait between load attempts, in microseconds' },
  { name: 'tensorflow_intra_op_parallelism', type: 'int', default: 0, help: 'threads used inside one operator (onnxruntime intra-op pool); 0 = runtime default' },
  { name: 'tensorflow_inter_op_parallelism', type: 'int', default: 0, help: 'operators run in parallel (onnxruntime inter-op pool); 0 = runtime default' },
  { name: 'tensorflow_session_parallelism', type: 'int', default: 0, help: 'sets both pools when the other two are 0' },
  { name: 'enable_batching', type: 'bool', default: false, help: 'merge concurrent requests into one model run (dynamic batching)' },
  { name: 'batching_parameters_file', type: 'string', default: '', help: 'text BatchingParameters: max_batch_size, batch_timeout_micros, max_enqueued_batches, …; needs --enable_batching' },
  {
    name: 'enable_per_model_batching_parameters',
    type: 'bool',
    default: false,
    help: 'with --enable_batching, each model version batches with the batching_params.pbtxt in its directory (a version without one is not batched); only the thread pool settings come from --batching_parameters_file',
  },
  { name: 'monitoring_config_file', type: 'string', default: '', help: 'text MonitoringConfig; prometheus_config { enable: true } serves metrics on the REST port' },
  { name: 'job_root', type: 'string', default: '', help: 'serve on-demand batch jobs on /v1/jobs over paths inside this directory; empty = no job service' },
  { name: 'job_memory_budget', type: 'int', default: 512 * 1024 * 1024, help: 'bytes running jobs may use together, by estimate (model file size × 3 + batch buffers); jobs beyond it wait' },
  { name: 'max_concurrent_jobs', type: 'int', default: 2, help: 'jobs running at once; further jobs wait in order' },
  {
    name: 'request_log_dir',
    type: 'string',
    default: '',
    help: 'log served predict requests (every protocol) as JSON lines files in this directory, one line per instance, for millrace stats; empty = no logging',
  },
  { name: 'request_log_sampling', type: 'float', default: 1, help: 'share of predict requests logged, in [0, 1]; needs --request_log_dir' },
  { name: 'request_log_max_file_bytes', type: 'int', default: DEFAULT_REQUEST_LOG_FILE_BYTES, help: 'a request log file is closed and a new one begun past this size' },
  {
    name: 'request_log_buffer_bytes',
    type: 'int',
    default: DEFAULT_REQUEST_LOG_BUFFER_BYTES,
    help: 'input bytes of requests waiting to be written; past it requests are not logged and counted in :tensorflow:serving:request_log_count{status="RESOURCE_EXHAUSTED"}',
  },
  { name: 'log_level', type: 'string', default: 'info', help: 'debug, info, warn or error' },
  { name: 'version', type: 'bool', default: false, help: 'print the version and exit' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

export async function serveCommand(argv: readonly string[], version: string): Promise<number> {
  const { flags, positional } = parseFlags(SERVE_FLAGS, argv);
  if (bool(flags, 'help')) {
    process.stdout.write(`Usage: millrace serve [flags]\n\nFlags:\n${flagsHelp(SERVE_FLAGS)}\n`);
    return 0;
  }
  if (bool(flags, 'version')) {
    process.stdout.write(`millrace ModelServer: ${version}\n`);
    return 0;
  }
  if (positional.length > 0) throw new FlagError(`unknown argument: ${positional[0]}`);
  const models = modelSource(str(flags, 'model_config_file'), str(flags, 'model_name'), str(flags, 'model_base_path'));
  const session = num(flags, 'tensorflow_session_parallelism');
  const intra = num(flags, 'tensorflow_intra_op_parallelism');
  const inter = num(flags, 'tensorflow_inter_op_parallelism');
  if (session !== 0 && intra !== 0 && inter !== 0) {
    throw new FlagError('Either set tensorflow_session_parallelism or tensorflow_intra_op_parallelism and tensorflow_inter_op_parallelism, not all three');
  }
  const level = str(flags, 'log_level');
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new FlagError(`flag --log_level expects debug, info, warn or error, got "${level}"`);
  const logger = createLogger({ minLevel: level as 'info' });
  const requestLog = requestLogSettings(flags);
  let channelArguments: Record<string, string | number>;
  try {
    channelArguments = parseChannelArguments(str(flags, 'grpc_channel_arguments'));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  const batchingParametersFile = readableFile(flags, 'batching_parameters_file');
  const monitoringConfigFile = readableFile(flags, 'monitoring_config_file');
  const restMaxInflightRequests = nonNegative(flags, 'rest_api_max_inflight_requests');
  const restListenBacklog = nonNegative(flags, 'rest_api_listen_backlog');
  let server;
  try {
    server = await startModelServer(
    {
      models,
      restPort: num(flags, 'rest_api_port'),
      restHost: str(flags, 'rest_api_host'),
      restTimeoutMs: num(flags, 'rest_api_timeout_in_ms'),
      maxBodyBytes: num(flags, 'rest_api_max_body_bytes'),
      enableCors: bool(flags, 'rest_api_enable_cors_support'),
      restMaxInflightRequests,
      restListenBacklog,
      configPollSeconds: num(flags, 'model_config_file_poll_wait_seconds'),
      fileSystemPollSeconds: num(flags, 'file_system_poll_wait_seconds'),
      allowLabelsForUnavailableModels: bool(flags, 'allow_version_labels_for_unavailable_models'),
      maxLoadRetries: num(flags, 'max_num_load_retries'),
      loadRetryIntervalMs: num(flags, 'load_retry_interval_micros') / 1000,
      runtime: { intraOpParallelism: intra || session, interOpParallelism: inter || session },
      enableBatching: bool(flags, 'enable_batching'),
      batchingParametersFile,
      enablePerModelBatchingParameters: bool(flags, 'enable_per_model_batching_parameters'),
      monitoringConfigFile,
      jobs: { root: str(flags, 'job_root'), memoryBudgetBytes: num(flags, 'job_memory_budget'), maxConcurrentJobs: num(flags, 'max_concurrent_jobs') },
      requestLog,
      grpc: {
        port: num(flags, 'port'),
        socketPath: str(flags, 'grpc_socket_path') || undefined,
        channelArguments,
        enableHealthCheck: bool(flags, 'enable_grpc_healthcheck_service'),
        serializeAsTensorContent: bool(flags, 'enable_serialization_as_tensor_content'),
      },
    },
    logger,
    );
  } catch (err) {
    // TF Serving's startup failure line, so existing alerting on it keeps working.
    const error = toServingError(err);
    process.stderr.write(`Failed to start server. Error: ${error.code}: ${error.message}\n`);
    return 1;
  }
  const running = server;
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      logger.log('info', 'shutting_down', { signal });
      running.close().then(resolveStop, resolveStop);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

function modelSource(configFile: string, name: string, basePath: string): ModelSource {
  if (configFile !== '') return { configFile: resolve(configFile) };
  if (basePath === '') throw new FlagError('Both server_options.model_base_path and server_options.model_config_file are empty!');
  return { name, basePath: resolve(basePath) };
}

/** The path a file flag names, checked to be a readable file before the server starts; undefined when unset. */
function readableFile(flags: FlagValues, name: string): string | undefined {
  const path = str(flags, name);
  if (path === '') return undefined;
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new FlagError(`flag --${name}: cannot read "${path}": ${unreadableReason(err)}`);
  }
  return path;
}

function nonNegative(flags: Parameters<typeof num>[0], name: string): number {
  const value = num(flags, name);
  if (value < 0) throw new FlagError(`flag --${name} expects 0 or more, got ${value}`);
  return value;
}

function requestLogSettings(flags: FlagValues): RequestLogSettings | undefined {
  const dir = str(flags, 'request_log_dir');
  const samplingRate = num(flags, 'request_log_sampling');
  if (!(samplingRate >= 0 && samplingRate <= 1)) throw new FlagError(`flag --request_log_sampling expects a number in [0, 1], got ${samplingRate}`);
  const maxFileBytes = num(flags, 'request_log_max_file_bytes');
  const maxBufferedBytes = num(flags, 'request_log_buffer_bytes');
  if (maxFileBytes < 1) throw new FlagError('--request_log_max_file_bytes must be at least 1');
  if (maxBufferedBytes < 1) throw new FlagError('--request_log_buffer_bytes must be at least 1');
  if (dir === '') return undefined;
  return { dir: resolve(dir), samplingRate, maxFileBytes, maxBufferedBytes };
}
