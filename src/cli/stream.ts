import { ServingError } from '../errors/serving-error.js';
import { createLogger, type LogLevel } from '../logging/logger.js';
import { startMetricsHttpServer, type MetricsHttpServer } from '../metrics/metrics-http-server.js';
import { StreamMetrics } from '../metrics/stream-metrics.js';
import { openEmbeddedPredictor } from '../pipeline/embedded-predictor.js';
import type { InstanceType } from '../pipeline/instance-shaper.js';
import { isModelUrl, openRemoteModel, type JobModel } from '../pipeline/remote-model.js';
import { MessageDecoder, type MessageShaping } from '../pipeline/stream/message-decoder.js';
import type { StreamSink, StreamSource } from '../pipeline/stream/stream-contracts.js';
import { linkSinksToSource, openStreamSink, openStreamSource, SINK_SCHEMES, SOURCE_SCHEMES } from '../pipeline/stream/stream-endpoints.js';
import { StreamRunner, defaultMaxInFlight } from '../pipeline/stream/stream-runner.js';
import { DEFAULT_SIGNATURE } from '../runtime/signature.js';
import { bool, FlagError, flagsHelp, num, parseFlags, str, type FlagSpec, type FlagValues } from './flags.js';

const STREAM_FLAGS: readonly FlagSpec[] = [
  { name: 'source', type: 'string', default: '', help: 'where messages come from: redis://host:port/STREAM?group=G&consumer=C, nats://…, kafka://…, stdin or a file' },
  { name: 'sink', type: 'string', default: '', help: 'where predictions go: postgres://user@host:port/db?table=T, duckdb:///path.db?table=T, redis://host:port/STREAM, nats://…, kafka://…, stdout' },
  { name: 'dead_letter', type: 'string', default: '', help: 'where dead letters go (any sink URL); empty = the sink\'s own dead-letter place (T_dead_letters, STREAM:dead-letters, …)' },
  { name: 'model', type: 'string', default: '', help: 'a version directory, a model base path, a repository root or a model config file; or a server URL (http://, grpc://, v2+http://, …)' },
  { name: 'model_name', type: 'string', default: '', help: 'the model to use from a repository root or config file; required with a server URL' },
  { name: 'version', type: 'int', default: -1, help: 'the model version to use; -1 = the newest (resolved once at the start)' },
  { name: 'label', type: 'string', default: '', help: 'server URL only: the version label to use, resolved once at the start' },
  { name: 'signature', type: 'string', default: '', help: `the signature to run; empty = ${DEFAULT_SIGNATURE}` },
  { name: 'remote_deadline_ms', type: 'int', default: 30000, help: 'server URL only: deadline of one model call, retries included' },
  { name: 'window_size', type: 'int', default: 1, help: 'messages per window (one model call and one sink write); 1 = per element' },
  { name: 'window_ms', type: 'int', default: 20, help: 'how long a window waits for more messages after its first; whichever of size and time fills first' },
  { name: 'max_in_flight', type: 'int', default: 0, help: 'windows predicted or written at once; while full, nothing is read (backpressure); 0 = about 512 messages: ceil(512 / window_size), from 4 to 32' },
  { name: 'read_ahead', type: 'int', default: 0, help: 'messages read ahead of the windows in flight (at least window_size); 0 = window_size × max_in_flight, at least 128' },
  { name: 'max_attempts', type: 'int', default: 5, help: 'attempts of a message (deliveries included) before a transient failure makes it a dead letter' },
  { name: 'retry_backoff_ms', type: 'int', default: 100, help: 'wait before the first retry; doubles on each retry (with jitter)' },
  { name: 'retry_max_backoff_ms', type: 'int', default: 10000, help: 'longest wait between retries' },
  { name: 'claim_idle_ms', type: 'int', default: 30000, help: 'take over messages another consumer left unacknowledged this long (Redis XPENDING IDLE + XCLAIM; NATS ack wait); a URL parameter wins' },
  { name: 'idle_exit_ms', type: 'int', default: 0, help: 'exit 0 after this long with no message and nothing in flight; 0 = run until SIGTERM/SIGINT' },
  { name: 'included_fields', type: 'string', default: '', help: 'comma-separated fields of an object message that make up the instance, in this order' },
  { name: 'excluded_fields', type: 'string', default: '', help: 'comma-separated fields of an object message left out of the instance' },
  { name: 'instance_type', type: 'string', default: '', help: 'object (named inputs from fields) or array (field values in order, for a single input); empty = as sent' },
  { name: 'metrics_port', type: 'int', default: 0, help: 'serve Prometheus metrics on GET /metrics at this port; 0 = off' },
  { name: 'progress_interval_seconds', type: 'float', default: 30, help: 'seconds between progress log lines; 0 = none' },
  { name: 'log_level', type: 'string', default: 'info', help: 'debug, info, warn or error' },
  { name: 'tensorflow_intra_op_parallelism', type: 'int', default: 0, help: 'threads used inside one operator (onnxruntime intra-op pool); 0 = runtime default' },
  { name: 'tensorflow_inter_op_parallelism', type: 'int', default: 0, help: 'operators run in parallel (onnxruntime inter-op pool); 0 = runtime default' },
  { name: 'help', type: 'bool', default: false, help: 'print this help and exit' },
];

const USAGE = `Usage: millrace stream --source URL --model DIR|URL --sink URL [flags]

Reads messages (one JSON instance each) from a broker, predicts them per element (--window_size 1) or in
micro-batches (--window_size N, --window_ms T: whichever fills first), and writes one row per message to the
sink: message_id, instance, prediction, model_name, model_version, event_time, prediction_time.

Delivery is at least once, end to end: a message is acknowledged only after the sink write that holds it
resolved, and every sink ignores a message id it already has, so a redelivery never adds a second row. A
message that cannot be decoded or predicted (bad JSON, wrong shape) becomes a dead letter with its error;
transient failures (model server unreachable or overloaded, sink errors) are retried with backoff until the
message's attempts reach --max_attempts, then dead-lettered. Messages a dead worker left unacknowledged are
taken over after --claim_idle_ms. SIGTERM or SIGINT stops reading, finishes the windows in flight, and exits 0;
a file or stdin source exits 0 by itself once every line is read and acknowledged.
Logs are JSON lines on stderr. Sources: ${SOURCE_SCHEMES.join(', ')}. Sinks: ${SINK_SCHEMES.join(', ')}.

Flags:
${flagsHelp(STREAM_FLAGS)}
`;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export async function streamCommand(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags(STREAM_FLAGS, argv);
  if (bool(flags, 'help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positional.length > 0) throw new FlagError(`unexpected argument "${positional[0]}" (see --help)`);
  const settings = readSettings(flags);
  const logger = createLogger({ minLevel: settings.logLevel });
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const model = await openModel(flags, settings);
    cleanup.push(() => model.close());
    const signatureName = str(flags, 'signature') || DEFAULT_SIGNATURE;
    const signature = model.signatures.get(signatureName);
    if (signature === undefined) {
      throw new FlagError(`model ${model.modelName} version ${model.version} has no signature "${signatureName}" (it has ${[...model.signatures.keys()].join(', ')})`);
    }
    const decoder = new MessageDecoder(signature, settings.shaping);
    const sink = await openStreamSink(settings.sink, { role: 'predictions', logger });
    cleanup.push(() => sink.close());
    let deadLetters: StreamSink | undefined;
    if (settings.deadLetter !== '') {
      deadLetters = await openStreamSink(settings.deadLetter, { role: 'dead-letters', logger });
      cleanup.push(() => deadLetters!.close());
    }
    const source: StreamSource = await openStreamSource(settings.source, { claimIdleMs: num(flags, 'claim_idle_ms'), logger });
    cleanup.push(() => source.close());
    linkSinksToSource(source, [sink, deadLetters]);
    // Without a metrics port nothing could read them: they are not collected at all (observing every message's
    // latency costs the worker a few percent of its throughput).
    const metrics = settings.metricsPort > 0 ? new StreamMetrics() : undefined;
    let metricsServer: MetricsHttpServer | undefined;
    if (metrics !== undefined) {
      metricsServer = await startMetricsHttpServer(metrics.registry, settings.metricsPort);
      cleanup.push(() => metricsServer!.close());
      logger.log('info', 'metrics_listening', { port: metricsServer.port, path: '/metrics' });
    }
    const runner = new StreamRunner({
      source,
      sink,
      deadLetters,
      model: { target: { predictor: model.predictor, modelSpec: { name: model.modelName, version: model.version, signatureName }, signature, splitOn: model.splitOn }, name: model.modelName, version: model.version },
      decoder,
      windowSize: settings.windowSize,
      windowMs: settings.windowMs,
      maxInFlight: settings.maxInFlight,
      readAhead: settings.readAhead === 0 ? undefined : settings.readAhead,
      maxAttempts: settings.maxAttempts,
      backoff: { initialMs: settings.retryBackoffMs, maxMs: settings.retryMaxBackoffMs },
      idleExitMs: settings.idleExitMs,
      progressIntervalMs: num(flags, 'progress_interval_seconds') * 1000,
      logger,
      metrics,
    });
    const onSignal = (signal: NodeJS.Signals): void => {
      if (runner.stopping) {
        // A second signal: leave now; what was not acknowledged is delivered again later.
        logger.log('warn', 'stream_forced_exit', { signal });
        process.exit(1);
      }
      logger.log('info', 'stream_stopping', { signal });
      runner.stop();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await runner.run();
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return 0;
  } catch (err) {
    if (err instanceof ServingError && USAGE_CODES.has(err.code)) {
      process.stderr.write(`millrace: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

/** Problems with what the flags name (an unknown scheme, an unloadable model, an unreachable broker) are usage errors. */
const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'PERMISSION_DENIED']);

interface StreamSettings {
  readonly source: string;
  readonly sink: string;
  readonly deadLetter: string;
  readonly model: string;
  readonly windowSize: number;
  readonly windowMs: number;
  readonly maxInFlight: number;
  readonly readAhead: number;
  readonly maxAttempts: number;
  readonly retryBackoffMs: number;
  readonly retryMaxBackoffMs: number;
  readonly idleExitMs: number;
  readonly metricsPort: number;
  readonly logLevel: LogLevel;
  readonly shaping: MessageShaping;
}

function readSettings(flags: FlagValues): StreamSettings {
  const required = (name: string): string => {
    const value = str(flags, name);
    if (value === '') throw new FlagError(`stream needs --${name}`);
    return value;
  };
  const atLeast = (name: string, min: number): number => {
    const v = num(flags, name);
    if (v < min) throw new FlagError(`--${name} must be at least ${min}, got ${v}`);
    return v;
  };
  const model = required('model');
  if (isModelUrl(model) && str(flags, 'model_name') === '') throw new FlagError('--model_name is required when --model is a server URL');
  const logLevel = str(flags, 'log_level') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new FlagError(`--log_level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  if (num(flags, 'progress_interval_seconds') < 0) throw new FlagError('--progress_interval_seconds must not be negative');
  const metricsPort = num(flags, 'metrics_port');
  if (metricsPort < 0 || metricsPort > 65535) throw new FlagError(`--metrics_port must be a port number (0 = off), got ${metricsPort}`);
  atLeast('claim_idle_ms', 1);
  const retryBackoffMs = atLeast('retry_backoff_ms', 0);
  const retryMaxBackoffMs = atLeast('retry_max_backoff_ms', retryBackoffMs);
  const windowSize = atLeast('window_size', 1);
  return {
    source: required('source'),
    sink: required('sink'),
    deadLetter: str(flags, 'dead_letter'),
    model,
    windowSize,
    windowMs: atLeast('window_ms', 0),
    maxInFlight: atLeast('max_in_flight', 0) === 0 ? defaultMaxInFlight(windowSize) : num(flags, 'max_in_flight'),
    readAhead: atLeast('read_ahead', 0),
    maxAttempts: atLeast('max_attempts', 1),
    retryBackoffMs,
    retryMaxBackoffMs,
    idleExitMs: atLeast('idle_exit_ms', 0),
    metricsPort,
    logLevel,
    shaping: readShaping(flags),
  };
}

function readShaping(flags: FlagValues): MessageShaping {
  const list = (name: string): string[] | undefined => {
    const value = str(flags, name);
    return value === '' ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const includedFields = list('included_fields');
  const excludedFields = list('excluded_fields');
  if (includedFields !== undefined && excludedFields !== undefined) throw new FlagError('set --included_fields or --excluded_fields, not both');
  const type = str(flags, 'instance_type');
  if (type !== '' && type !== 'object' && type !== 'array') throw new FlagError(`--instance_type must be object or array, got "${type}"`);
  return { includedFields, excludedFields, instanceType: type === '' ? undefined : (type as InstanceType) };
}

async function openModel(flags: FlagValues, settings: StreamSettings): Promise<JobModel> {
  const version = num(flags, 'version') >= 0 ? num(flags, 'version') : undefined;
  const label = str(flags, 'label');
  if (isModelUrl(settings.model)) {
    return openRemoteModel(settings.model, {
      modelName: str(flags, 'model_name'),
      version,
      label: label === '' ? undefined : label,
      concurrency: settings.maxInFlight,
      deadlineMs: num(flags, 'remote_deadline_ms'),
    });
  }
  if (label !== '') throw new FlagError('--label needs a server URL as --model (a model directory has no labels)');
  const name = str(flags, 'model_name');
  return openEmbeddedPredictor({
    dir: settings.model,
    modelName: name === '' ? undefined : name,
    version,
    runtime: { intraOpParallelism: num(flags, 'tensorflow_intra_op_parallelism'), interOpParallelism: num(flags, 'tensorflow_inter_op_parallelism') },
    logger: createLogger({ minLevel: 'warn' }),
  });
}
