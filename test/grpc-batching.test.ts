import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFERENCE_PROTO_FILE } from '../src/api/v2/grpc-inference-service.js';
import { freePort } from './support/free-port.js';
import { TempModelRepository } from './support/model-repository.js';
import { prometheusSample } from './support/prometheus-sample.js';
import { addConstantModel } from './support/onnx-graphs.js';
import { http, startTestServer } from './support/test-server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;
type Message = Record<string, unknown>;

const PROTOS = fileURLToPath(new URL('../protos/', import.meta.url));
/** Batches wait up to 300 ms for company, longer than the deadlines and cancellations below. */
const BATCH_TIMEOUT_MS = 300;

function serviceClient(address: string, file: string, includeDirs: string[], path: string[]): grpc.Client {
  const definition = protoLoader.loadSync(file, { keepCase: true, longs: String, enums: String, defaults: false, oneofs: false, includeDirs });
  let node = grpc.loadPackageDefinition(definition) as grpc.GrpcObject;
  for (const part of path.slice(0, -1)) node = node[part] as grpc.GrpcObject;
  const Client = node[path.at(-1) as string] as grpc.ServiceClientConstructor;
  return new Client(address, grpc.credentials.createInsecure());
}

/** Starts a unary call; the returned call can be cancelled, the promise settles with its outcome. */
function unary(client: grpc.Client, method: string, request: Message, deadline?: number): { call: grpc.ClientUnaryCall; result: Promise<Message> } {
  let call!: grpc.ClientUnaryCall;
  const result = new Promise<Message>((resolve, reject) => {
    const fn = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method] as (...args: unknown[]) => grpc.ClientUnaryCall;
    call = fn.call(client, request, deadline === undefined ? {} : { deadline }, (err: grpc.ServiceError | null, response: Message) => (err ? reject(err) : resolve(response)));
  });
  return { call, result };
}

async function statusOf(result: Promise<unknown>): Promise<[string, string]> {
  try {
    await result;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return [grpc.status[e.code], e.details];
  }
  return ['OK', ''];
}

const predictRequest = (model: string, values: number[]): Message => ({
  model_spec: { name: model },
  inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: String(values.length) }] }, float_val: values } },
});

describe('dynamic batching over gRPC', () => {
  let repo: TempModelRepository;
  let server: Server;
  let tfServing: grpc.Client;
  let inference: grpc.Client;

  const metrics = async (): Promise<string> => (await http(`${server.url}/monitoring/prometheus/metrics`)).text;

  beforeAll(async () => {
    repo = await TempModelRepository.create();
    const names = ['deadline', 'cancelled', 'v2', 'merged'];
    for (const name of names) await repo.addVersion(name, 1, addConstantModel(1));
    const entries = names.map((name) => `config { name: "${name}" base_path: "${repo.basePath(name)}" model_platform: "onnx" }`);
    server = await startTestServer({
      models: { configFile: await repo.writeFile('models.config', `model_config_list {\n${entries.join('\n')}\n}\n`) },
      enableBatching: true,
      batchingParametersFile: await repo.writeFile(
        'batching.config',
        `max_batch_size { value: 64 } batch_timeout_micros { value: ${BATCH_TIMEOUT_MS * 1000} } max_enqueued_batches { value: 100 }`,
      ),
      monitoringConfigFile: await repo.writeFile('monitoring.config', 'prometheus_config { enable: true }'),
      grpc: { port: await freePort(), host: '127.0.0.1', enableHealthCheck: false, serializeAsTensorContent: false },
    });
    const address = `127.0.0.1:${server.grpcPort}`;
    tfServing = serviceClient(address, 'tensorflow_serving/apis/prediction_service.proto', [PROTOS], ['tensorflow', 'serving', 'PredictionService']);
    inference = serviceClient(address, INFERENCE_PROTO_FILE, [], ['inference', 'GRPCInferenceService']);
  });

  afterAll(async () => {
    tfServing?.close();
    inference?.close();
    await server?.close();
    await repo?.dispose();
  });

  it('merges concurrent TF Serving Predict calls and gives each its own rows', async () => {
    const calls = Array.from({ length: 12 }, (_, i) => unary(tfServing, 'Predict', predictRequest('merged', [i, i + 0.5])).result);
    const answers = await Promise.all(calls);
    answers.forEach((a, i) => expect((a['outputs'] as { y: { float_val: number[] } }).y.float_val).toEqual([i + 1, i + 1.5]));
    const text = await metrics();
    expect(prometheusSample(text, ':tensorflow:serving:batching_session:processed_batch_size_count', 'model_name="merged"')).toBe(1);
    expect(prometheusSample(text, ':tensorflow:serving:batching_session:processed_batch_size_sum', 'model_name="merged"')).toBe(24);
  });

  it('answers DEADLINE_EXCEEDED to a Predict whose deadline passes in the queue, and never runs it', async () => {
    const started = Date.now();
    const { result } = unary(tfServing, 'Predict', predictRequest('deadline', [1]), started + 100);
    // The client's own timer ends the call, so the details are grpc-js's ("Deadline exceeded after 0.101s,…").
    const [code, details] = await statusOf(result);
    expect([code, details.startsWith('Deadline exceeded')]).toEqual(['DEADLINE_EXCEEDED', true]);
    expect(Date.now() - started).toBeLessThan(BATCH_TIMEOUT_MS);
    // Past the batch timeout: the batch would have run by now had the task stayed queued.
    await new Promise((r) => setTimeout(r, BATCH_TIMEOUT_MS + 100));
    const text = await metrics();
    expect(prometheusSample(text, ':tensorflow:serving:request_count', 'model_name="deadline",status="DEADLINE_EXCEEDED",entrypoint="GRPC"')).toBe(1);
    expect(prometheusSample(text, ':tensorflow:serving:batching_session:wrapped_run_count', 'model_name="deadline"')).toBe(0);
    expect(prometheusSample(text, ':tensorflow:serving:runtime_latency_count', 'model_name="deadline"')).toBe(0);
  });

  it('drops a cancelled Predict before it runs', async () => {
    const { call, result } = unary(tfServing, 'Predict', predictRequest('cancelled', [1]));
    await new Promise((r) => setTimeout(r, 50));
    call.cancel();
    expect(await statusOf(result)).toEqual(['CANCELLED', 'Cancelled on client']);
    await new Promise((r) => setTimeout(r, BATCH_TIMEOUT_MS + 100));
    const text = await metrics();
    expect(prometheusSample(text, ':tensorflow:serving:request_count', 'model_name="cancelled",status="CANCELLED",entrypoint="GRPC"')).toBe(1);
    expect(prometheusSample(text, ':tensorflow:serving:batching_session:wrapped_run_count', 'model_name="cancelled"')).toBe(0);
    expect(prometheusSample(text, ':tensorflow:serving:runtime_latency_count', 'model_name="cancelled"')).toBe(0);
  });

  it('runs concurrent Open Inference Protocol ModelInfer calls through the batcher', async () => {
    const calls = Array.from({ length: 16 }, (_, i) =>
      unary(inference, 'ModelInfer', { model_name: 'v2', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [i] } }] }).result,
    );
    const answers = await Promise.all(calls);
    answers.forEach((a, i) => {
      // The server answers in raw_output_contents: one little-endian float32 per row here.
      const raw = (a['raw_output_contents'] as Buffer[])[0] as Buffer;
      expect([(a['outputs'] as Array<{ name: string }>)[0]?.name, raw.readFloatLE(0), raw.length]).toEqual(['y', i + 1, 4]);
    });
    const text = await metrics();
    const batches = prometheusSample(text, ':tensorflow:serving:batching_session:processed_batch_size_count', 'model_name="v2"');
    const rows = prometheusSample(text, ':tensorflow:serving:batching_session:processed_batch_size_sum', 'model_name="v2"');
    expect(rows).toBe(16);
    expect(prometheusSample(text, ':tensorflow:serving:batching_session:wrapped_run_count', 'model_name="v2"')).toBe(16);
    // All 16 arrive within the batch timeout: one batch, mean batch size 16.
    expect(batches).toBe(1);
  });
});
