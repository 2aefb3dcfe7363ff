import { readFile } from 'node:fs/promises';
import { ServingError, toServingError } from '../errors/serving-error.js';
import type { Logger } from '../logging/logger.js';
import { ModelManager } from '../repository/model-manager.js';
import { readModelConfigFile, singleModelConfig, type ModelConfig } from '../repository/model-config.js';
import { PeriodicTask } from '../repository/periodic-task.js';
import { loadOnnxServable } from '../runtime/onnx-servable.js';
import type { RuntimeOptions } from '../runtime/servable.js';
import { LocalPredictor } from '../serving/local-predictor.js';
import type { GrpcServer } from './grpc/grpc-server.js';
import { tfServingGrpcServer, type TfServingGrpcOptions } from './grpc/tf-serving-grpc.js';
import { RestServer } from './rest/rest-server.js';
import { prometheusRoute, statsRoute } from './rest/monitoring-routes.js';
import { BatchingRunner } from '../batching/batching-runner.js';
import { batchMetricsFor } from '../batching/batch-metrics.js';
import { ServingMetrics } from '../metrics/serving-metrics.js';
import {
  defaultBatchingParameters,
  NO_FILE_THREAD_POOL_NAME,
  readBatchingParametersFile,
  type BatchingParameters,
} from '../repository/batching-parameters.js';
import { readMonitoringConfigFile } from '../repository/monitoring-config.js';
import { readPerModelBatchingParameters } from '../repository/per-model-batching.js';
import type { Servable } from '../runtime/servable.js';
import { batchedRunner, timedModelRun, unbatchedRunner } from '../serving/signature-runners.js';
import { grpcInferenceService } from './v2/grpc-inference-service.js';
import { ModelStatistics } from './v2/model-statistics.js';
import { RepositoryControl } from './v2/repository-control.js';
import { countedModelRun, servedVersionResolver, StatisticsPredictor } from './v2/statistics-hooks.js';
import { v2RestRoute } from './v2/v2-rest-route.js';
import { V2Service } from './v2/v2-service.js';
import { JobService, type JobServiceOptions } from '../pipeline/job-service.js';
import { jobRoutes } from './rest/job-routes.js';
import { requestLogCounter } from '../metrics/request-log-metrics.js';
import { RequestLogPredictor } from '../serving/request-log/request-log-predictor.js';
import { RequestLogWriter } from '../serving/request-log/request-log-writer.js';

export type ModelSource = { readonly configFile: string } | { readonly name: string; readonly basePath: string };

export interface ModelServerOptions {
  readonly models: ModelSource;
  readonly restPort: number;
  readonly restHost?: string | undefined;
  readonly restTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly enableCors: boolean;
  /** `--rest_api_max_inflight_requests`: POST requests handled at once (0 = no limit); absent = the REST server's default. */
  readonly restMaxInflightRequests?: number | undefined;
  /** `--rest_api_listen_backlog`; absent = the REST server's default. */
  readonly restListenBacklog?: number | undefined;
  /** 0 = read the config file once. */
  readonly configPollSeconds: number;
  /** 0 = scan version directories once; negative = never again. */
  readonly fileSystemPollSeconds: number;
  readonly allowLabelsForUnavailableModels: boolean;
  readonly maxLoadRetries: number;
  readonly loadRetryIntervalMs: number;
  readonly runtime: RuntimeOptions;
  /** `--enable_batching`: merge concurrent requests into one model run. */
  readonly enableBatching?: boolean | undefined;
  /** `--batching_parameters_file` (text BatchingParameters); defaults when absent. */
  readonly batchingParametersFile?: string | undefined;
  /** `--enable_per_model_batching_parameters`: each version's `batching_params.pbtxt` replaces the file's settings. */
  readonly enablePerModelBatchingParameters?: boolean | undefined;
  /** `--monitoring_config_file` (text MonitoringConfig): serves Prometheus metrics on the REST port. */
  readonly monitoringConfigFile?: string | undefined;
  /** TF Serving's gRPC API (`--port` and friends); absent, or port 0 and no socket path, means no gRPC. */
  readonly grpc?: TfServingGrpcOptions | undefined;
  /** The on-demand batch service (`/v1/jobs`); absent or an empty root means none. */
  readonly jobs?: Omit<JobServiceOptions, 'runtime' | 'logger'> | undefined;
  /** `--request_log_dir` and friends: log served predict requests as JSON lines; absent means no logging. */
  readonly requestLog?: RequestLogSettings | undefined;
}

export interface RequestLogSettings {
  readonly dir: string;
  /** Share of predict requests logged, in [0, 1]. */
  readonly samplingRate: number;
  readonly maxFileBytes: number;
  readonly maxBufferedBytes: number;
}

/** Drops of the request log are logged at most this often (each one is counted in the metric). */
const REQUEST_LOG_DROP_REPORT_MS = 10_000;

export interface RunningModelServer {
  readonly restPort: number;
  /** The bound gRPC TCP port; 0 when gRPC is not served over TCP. */
  readonly grpcPort: number;
  readonly manager: ModelManager;
  readonly predictor: LocalPredictor;
  readonly metrics: ServingMetrics;
  close(): Promise<void>;
}

/**
 * Starts the model server the way TF Serving does: load the initial config and wait for every model
 * to have a version (or fail naming the ones that could not load), then open the ports, then keep
 * polling version directories and the config file.
 */
export async function startModelServer(options: ModelServerOptions, logger: Logger): Promise<RunningModelServer> {
  const batching = await readBatchingParameters(options);
  const monitoring = options.monitoringConfigFile ? await readMonitoringConfigFile(options.monitoringConfigFile) : undefined;
  const perModel = options.enablePerModelBatchingParameters === true && batching !== undefined;
  if (options.enablePerModelBatchingParameters === true && batching === undefined) {
    logger.log('warn', 'per_model_batching_ignored', { reason: '--enable_per_model_batching_parameters has no effect without --enable_batching' });
  }
  const perModelParams = new WeakMap<Servable, BatchingParameters | undefined>();
  const manager = new ModelManager({
    loader: async (dir) => {
      if (!perModel) return loadOnnxServable(dir, options.runtime);
      const params = await readPerModelBatchingParameters(dir, batching);
      const servable = await loadOnnxServable(dir, options.runtime);
      perModelParams.set(servable, params);
      return servable;
    },
    logger,
    maxLoadRetries: options.maxLoadRetries,
    loadRetryIntervalMs: options.loadRetryIntervalMs,
    allowLabelsForUnavailableModels: options.allowLabelsForUnavailableModels,
  });
  const initial = await readModels(options.models);
  let configText = 'configFile' in options.models ? await readFile(options.models.configFile, 'utf8') : '';
  await manager.applyConfig(initial);
  const failed = manager.failedModels();
  if (failed.length > 0) {
    await manager.stop();
    const details = failed.map((f) => `{name: ${f.name} version: ${f.version}}: ${f.error}`).join(', ');
    throw new ServingError('UNKNOWN', `${failed.length} servable(s) did not become available: {${details}}`);
  }

  const metrics = new ServingMetrics();
  const statistics = new ModelStatistics();
  const modelRun = countedModelRun(
    statistics,
    timedModelRun((modelName, version, micros) =>
      metrics.runtimeLatency.observe({ model_name: modelName, model_version: String(version), runtime: 'ONNX' }, micros),
    ),
  );
  const batcher =
    batching === undefined
      ? undefined
      : new BatchingRunner(
          batching,
          modelRun,
          (modelName, version) => batchMetricsFor(metrics, batching.threadPoolName, modelName, version),
          perModel ? (servable) => perModelParams.get(servable) : undefined,
        );
  const predictor = new LocalPredictor(manager, batcher === undefined ? unbatchedRunner(modelRun) : batchedRunner(batcher));
  const requestLog = options.requestLog === undefined ? undefined : await openRequestLog(options.requestLog, metrics, logger);
  const logged = requestLog === undefined ? predictor : new RequestLogPredictor(predictor, requestLog, options.requestLog?.samplingRate ?? 1);
  // Every front end calls through the statistics hook, so the v2 statistics count all protocols.
  const served = new StatisticsPredictor(logged, statistics, servedVersionResolver(manager));
  const v2 = new V2Service({ predictor: served, models: manager, repository: new RepositoryControl(manager), statistics, batching });
  const rest = new RestServer(
    served,
    manager,
    {
      port: options.restPort,
      host: options.restHost,
      timeoutMs: options.restTimeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      enableCors: options.enableCors,
      maxInflightRequests: options.restMaxInflightRequests,
      listenBacklog: options.restListenBacklog,
    },
    logger,
    metrics,
  );
  if (monitoring?.prometheusEnabled === true) rest.addRoute(prometheusRoute(metrics, monitoring.prometheusPath));
  rest.addRoute(v2RestRoute(v2, { maxBodyBytes: options.maxBodyBytes, timeoutMs: options.restTimeoutMs }, logger));
  rest.addRoute(
    statsRoute({
      metrics,
      batching:
        batching === undefined || batcher === undefined
          ? undefined
          : () => ({
              enabled: true,
              queued_tasks: batcher.queuedTasks(),
              max_batch_size: batching.maxBatchSize,
              batch_timeout_micros: batching.batchTimeoutMicros,
              max_enqueued_batches: batching.maxEnqueuedBatches,
              num_batch_threads: batching.numBatchThreads,
              allowed_batch_sizes: batching.allowedBatchSizes,
              pad_variable_length_inputs: batching.padVariableLengthInputs,
              enable_large_batch_splitting: batching.enableLargeBatchSplitting,
              max_execution_batch_size: batching.maxExecutionBatchSize,
              per_model_batching_parameters: perModel,
            }),
    }),
  );
  let jobs: JobService | undefined;
  if (options.jobs?.root) {
    try {
      jobs = await JobService.open({ ...options.jobs, runtime: options.runtime, logger });
    } catch (err) {
      await requestLog?.close();
      await manager.stop();
      throw err;
    }
  }
  if (jobs !== undefined) rest.addRoute(jobRoutes(jobs));
  const restPort = await rest.listen();
  logger.log('info', 'rest_listening', { port: restPort });

  let grpc: GrpcServer | undefined;
  let grpcPort = 0;
  if (options.grpc !== undefined && (options.grpc.port > 0 || options.grpc.socketPath)) {
    grpc = tfServingGrpcServer(served, manager, options.grpc, logger, metrics);
    // The Open Inference Protocol shares the gRPC port with TF Serving's services, as it shares the REST port.
    const inference = grpcInferenceService(v2, logger);
    grpc.addService(inference.definition, inference.implementation);
    try {
      grpcPort = await grpc.start();
    } catch (err) {
      await Promise.all([grpc.close(), rest.close(), jobs?.close()]);
      await requestLog?.close();
      await manager.stop();
      throw err;
    }
    logger.log('info', 'grpc_listening', { port: grpcPort, socket_path: options.grpc.socketPath || undefined });
  }

  const tasks: PeriodicTask[] = [];
  if (options.fileSystemPollSeconds > 0) {
    tasks.push(new PeriodicTask(options.fileSystemPollSeconds * 1000, () => manager.pollAll()));
  }
  const source = options.models;
  if ('configFile' in source && options.configPollSeconds > 0) {
    tasks.push(
      new PeriodicTask(options.configPollSeconds * 1000, async () => {
        try {
          const text = await readFile(source.configFile, 'utf8');
          if (text === configText) return;
          configText = text;
          await manager.applyConfig(await readModelConfigFile(source.configFile));
          logger.log('info', 'model_config_reloaded', { file: source.configFile });
        } catch (err) {
          // As in TF Serving, a bad config on reload is logged and the served set stays as it was.
          logger.log('error', 'model_config_reload_failed', { file: source.configFile, error: toServingError(err).message });
        }
      }),
    );
  }
  for (const task of tasks) task.start();

  return {
    restPort,
    grpcPort,
    manager,
    predictor,
    metrics,
    async close() {
      await Promise.all(tasks.map((t) => t.stop()));
      await grpc?.close();
      await rest.close();
      await jobs?.close();
      // After the front ends: every request they served is in the log before its last file is renamed.
      await requestLog?.close();
      await manager.stop();
    },
  };
}

async function openRequestLog(settings: RequestLogSettings, metrics: ServingMetrics, logger: Logger): Promise<RequestLogWriter> {
  const counter = requestLogCounter(metrics.registry);
  let dropped = 0;
  let reportedAt = -Infinity;
  const writer = await RequestLogWriter.open({
    dir: settings.dir,
    maxFileBytes: settings.maxFileBytes,
    maxBufferedBytes: settings.maxBufferedBytes,
    onLogged: (model) => counter.inc({ model_name: model, status: 'OK' }),
    onDropped: (model, reason) => {
      const status = reason === 'full' ? 'RESOURCE_EXHAUSTED' : reason === 'closed' ? 'CANCELLED' : 'INTERNAL';
      counter.inc({ model_name: model, status });
      dropped++;
      const now = Date.now();
      if (now - reportedAt < REQUEST_LOG_DROP_REPORT_MS) return;
      reportedAt = now;
      logger.log('warn', 'request_log_dropped', { model_name: model, reason, dropped_total: dropped, dir: settings.dir });
    },
  });
  logger.log('info', 'request_log_open', { dir: settings.dir, sampling_rate: settings.samplingRate, max_file_bytes: settings.maxFileBytes });
  return writer;
}

async function readBatchingParameters(options: ModelServerOptions): Promise<BatchingParameters | undefined> {
  if (options.batchingParametersFile && !options.enableBatching) {
    throw new ServingError('INVALID_ARGUMENT', 'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.');
  }
  if (!options.enableBatching) return undefined;
  if (!options.batchingParametersFile) return defaultBatchingParameters(NO_FILE_THREAD_POOL_NAME);
  return readBatchingParametersFile(options.batchingParametersFile);
}

async function readModels(source: ModelSource): Promise<ModelConfig[]> {
  if ('configFile' in source) return readModelConfigFile(source.configFile);
  return [singleModelConfig(source.name, source.basePath)];
}
