import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { TempModelRepository } from './support/model-repository.js';
import { addConstantModel, identityModel } from './support/onnx-graphs.js';
import { OnnxElemType } from '../src/runtime/onnx-model-proto.js';
import { http, postJson, startTestServer } from './support/test-server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** pad_variable_length_inputs is a plain bool; the other boolean fields are BoolValue wrappers. */
const batching = (fields: Record<string, number | number[] | boolean>): string =>
  Object.entries(fields)
    .map(([k, v]) =>
      Array.isArray(v) ? v.map((x) => `${k}: ${x}`).join(' ') : k === 'pad_variable_length_inputs' ? `${k}: ${v}` : `${k} { value: ${v} }`,
    )
    .join('\n');

/** Sample count and sum of one labelled Prometheus series family (histogram `_count`/`_sum`, or a counter). */
function series(text: string, name: string, labels: string, required = true): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  if (line === undefined && !required) return 0;
  if (line === undefined) throw new Error(`no ${name} with ${labels} in metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('dynamic batching', () => {
  let repo: TempModelRepository | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await repo?.dispose();
  });

  async function start(model: Uint8Array, params: Record<string, number | number[] | boolean>, extra: Record<string, unknown> = {}): Promise<Server> {
    repo = await TempModelRepository.create();
    await repo.addVersion('m', 1, model);
    const batchingParametersFile = await repo.writeFile('batching.config', batching(params));
    const monitoringConfigFile = await repo.writeFile('monitoring.config', 'prometheus_config { enable: true }');
    server = await startTestServer({
      models: { name: 'm', basePath: repo.basePath('m') },
      enableBatching: true,
      batchingParametersFile,
      monitoringConfigFile,
      ...extra,
    });
    return server;
  }

  it('merges concurrent requests and gives each client exactly its own rows', async () => {
    // y = x + 0.5 on [-1, 4] floats: every input and answer below is exact in float32, so answers compare exactly.
    const s = await start(addConstantModel(0.5, { shape: [-1, 4] }), { max_batch_size: 64, batch_timeout_micros: 2000, max_enqueued_batches: 100 });
    const clients = Array.from({ length: 120 }, (_, c) => {
      const rows = Array.from({ length: 1 + (c % 3) }, (_, r) => [c, r, c % 7, -c / 8]);
      return { rows, expected: rows.map((row) => row.map((v) => v + 0.5)) };
    });
    const answers = await Promise.all(clients.map((c) => postJson(`${s.url}/v1/models/m:predict`, { instances: c.rows })));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(JSON.parse(a.text)).toEqual({ predictions: clients[i]!.expected });
    });
    const metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    const labels = 'thread_pool_name="batch_threads",model_name="m",model_version="1"';
    const totalRows = clients.reduce((n, c) => n + c.rows.length, 0);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_sum', labels)).toBe(totalRows);
    expect(series(metrics, ':tensorflow:serving:batching_session:input_batch_size_count', labels)).toBe(120);
    expect(series(metrics, ':tensorflow:serving:batching_session:wrapped_run_count', labels)).toBe(120);
    const batches = series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_count', labels);
    expect(batches).toBeLessThan(120);
    expect(series(metrics, ':tensorflow:serving:request_count', 'model_name="m",status="OK",entrypoint="REST"')).toBe(120);
    expect(series(metrics, ':tensorflow:serving:request_latency_count', 'model_name="m",model_version="1",API="predict",entrypoint="REST"')).toBe(120);
    expect(series(metrics, ':tensorflow:serving:runtime_latency_count', 'model_name="m",model_version="1",runtime="ONNX"')).toBe(batches);
    const stats = JSON.parse((await http(`${s.url}/v1/stats`)).text);
    expect(stats.requests).toEqual({ m: { OK: 120 } });
    expect(stats.models[0]).toMatchObject({ model: 'm', version: '1', batches, mean_batch_size: Math.round((totalRows / batches) * 100) / 100 });
    expect(stats.batching).toMatchObject({ enabled: true, max_batch_size: 64, batch_timeout_micros: 2000, queued_tasks: 0 });
    expect(stats.process.rss_bytes).toBeGreaterThan(0);
  });

  it('keeps requests of different shapes apart when padding is off', async () => {
    const s = await start(identityModel(OnnxElemType.FLOAT, ['b', 'n'], { input: 'x', output: 'y' }), { max_batch_size: 16, batch_timeout_micros: 5000 });
    const bodies = [[[1, 2]], [[3, 4, 5]], [[6, 7]], [[8]]];
    const answers = await Promise.all(bodies.map((rows) => postJson(`${s.url}/v1/models/m:predict`, { instances: rows })));
    expect(answers.map((a) => JSON.parse(a.text))).toEqual(bodies.map((rows) => ({ predictions: rows })));
  });

  it('lets requests of alternating shapes join the open batch of their shape instead of filling the queue', async () => {
    const s = await start(identityModel(OnnxElemType.FLOAT, ['b', 'n'], { input: 'x', output: 'y' }), {
      max_batch_size: 16,
      batch_timeout_micros: 200000,
      max_enqueued_batches: 2,
    });
    const bodies = [[[1, 2]], [[3, 4, 5]], [[6, 7]], [[8, 9, 10]], [[11, 12]], [[13, 14, 15]]];
    const answers = await Promise.all(bodies.map((rows) => postJson(`${s.url}/v1/models/m:predict`, { instances: rows })));
    expect(answers.map((a) => [a.status, JSON.parse(a.text)])).toEqual(bodies.map((rows) => [200, { predictions: rows }]));
    const metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    // Two batches, one per shape, of three rows each.
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_count', 'model_name="m"')).toBe(2);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_sum', 'model_name="m"')).toBe(6);
    expect(series(metrics, ':tensorflow:serving:request_count', 'status="UNAVAILABLE"', false)).toBe(0);
  });

  it('splits a large request across batches of max_execution_batch_size and joins its answers in order', async () => {
    const s = await start(addConstantModel(1), {
      max_batch_size: 8,
      batch_timeout_micros: 100000,
      enable_large_batch_splitting: true,
      max_execution_batch_size: 3,
    });
    const one = await postJson(`${s.url}/v1/models/m:predict`, { instances: [1, 2, 3, 4, 5, 6, 7] });
    expect(JSON.parse(one.text)).toEqual({ predictions: [2, 3, 4, 5, 6, 7, 8] });
    let metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    const labels = 'thread_pool_name="batch_threads",model_name="m",model_version="1"';
    // 7 rows ran as 3 + 3 + 1; the request itself is counted once, with its 7 rows.
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_count', labels)).toBe(3);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_sum', labels)).toBe(7);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_bucket', `le="1",${labels}`)).toBe(1);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_bucket', `le="2",${labels}`)).toBe(1);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_bucket', `le="4",${labels}`)).toBe(3);
    expect(series(metrics, ':tensorflow:serving:batching_session:input_batch_size_sum', labels)).toBe(7);
    expect(series(metrics, ':tensorflow:serving:batching_session:wrapped_run_count', labels)).toBe(1);

    // A 2-row request opens a batch; a 7-row one fills its last row, then runs as 3 + 3: three full batches.
    const [a, b] = await Promise.all([
      postJson(`${s.url}/v1/models/m:predict`, { instances: [10, 20] }),
      postJson(`${s.url}/v1/models/m:predict`, { instances: [31, 32, 33, 34, 35, 36, 37] }),
    ]);
    expect(JSON.parse(a.text)).toEqual({ predictions: [11, 21] });
    expect(JSON.parse(b.text)).toEqual({ predictions: [32, 33, 34, 35, 36, 37, 38] });
    metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_count', labels)).toBe(6);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_sum', labels)).toBe(16);
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_bucket', `le="2",${labels}`)).toBe(1);
    expect(series(metrics, ':tensorflow:serving:batching_session:wrapped_run_count', labels)).toBe(3);

    const big = await postJson(`${s.url}/v1/models/m:predict`, { instances: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect([big.status, JSON.parse(big.text).error]).toEqual([400, 'Task size 9 is larger than maximum input batch size 8']);
  });

  it('refuses a split request when the open batch and the batches still allowed cannot hold it', async () => {
    const s = await start(addConstantModel(1), {
      max_batch_size: 8,
      batch_timeout_micros: 0,
      max_enqueued_batches: 2,
      enable_large_batch_splitting: true,
      max_execution_batch_size: 3,
    });
    const full = await postJson(`${s.url}/v1/models/m:predict`, { instances: [1, 2, 3, 4, 5, 6, 7] });
    expect([full.status, JSON.parse(full.text).error]).toEqual([503, 'The batch scheduling queue to which this task was submitted is full']);
    const fits = await postJson(`${s.url}/v1/models/m:predict`, { instances: [1, 2, 3, 4, 5, 6] });
    expect(JSON.parse(fits.text)).toEqual({ predictions: [2, 3, 4, 5, 6, 7] });
  });

  it('pads inner dimensions and batch sizes when configured, and drops the padding from answers', async () => {
    const s = await start(addConstantModel(1, { shape: [-1, 'n'] }), {
      max_batch_size: 8,
      batch_timeout_micros: 20000,
      allowed_batch_sizes: [4, 8],
      pad_variable_length_inputs: true,
    });
    const [a, b] = await Promise.all([
      postJson(`${s.url}/v1/models/m:predict`, { instances: [[1, 2, 3]] }),
      postJson(`${s.url}/v1/models/m:predict`, { instances: [[5]] }),
    ]);
    expect(JSON.parse(a.text)).toEqual({ predictions: [[2, 3, 4]] });
    // The short row was padded with its own first element to the batch's width of 3.
    expect(JSON.parse(b.text)).toEqual({ predictions: [[6, 6, 6]] });
    const metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    expect(series(metrics, ':tensorflow:serving:batching_session:processed_batch_size_sum', 'model_name="m"')).toBe(4);
    expect(series(metrics, ':tensorflow:serving:batching_session:padding_size_sum', 'execution_batch_size="4"')).toBe(2);
  });

  it('refuses a task larger than the maximum and answers a full queue at once with 503', async () => {
    const s = await start(addConstantModel(1), { max_batch_size: 4, batch_timeout_micros: 300000, max_enqueued_batches: 1 });
    const big = await postJson(`${s.url}/v1/models/m:predict`, '{"instances": [1, 2, 3, 4, 5]}');
    expect([big.status, JSON.parse(big.text).error]).toEqual([400, 'Task size 5 is larger than maximum input batch size 4']);
    const waiting = postJson(`${s.url}/v1/models/m:predict`, '{"instances": [1, 2]}');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const full = await postJson(`${s.url}/v1/models/m:predict`, '{"instances": [1, 2, 3]}');
    expect([full.status, JSON.parse(full.text).error]).toEqual([503, 'The batch scheduling queue to which this task was submitted is full']);
    expect(Date.now() - started).toBeLessThan(200);
    expect(JSON.parse((await waiting).text)).toEqual({ predictions: [2, 3] });
  });

  it('answers 504 when the deadline passes while queued, and never runs the task', async () => {
    const s = await start(addConstantModel(1), { max_batch_size: 4, batch_timeout_micros: 1000000 }, { restTimeoutMs: 100 });
    const started = Date.now();
    const r = await postJson(`${s.url}/v1/models/m:predict`, '{"instances": [1]}');
    expect([r.status, JSON.parse(r.text).error]).toEqual([504, 'Deadline Exceeded']);
    expect(Date.now() - started).toBeLessThan(400);
    const metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    expect(metrics).not.toContain(':tensorflow:serving:batching_session:processed_batch_size_count{');
    expect(series(metrics, ':tensorflow:serving:request_count', 'status="DEADLINE_EXCEEDED"')).toBe(1);
  });

  it('drops a queued request whose client disconnected before it runs', async () => {
    const s = await start(addConstantModel(1), { max_batch_size: 4, batch_timeout_micros: 300000 });
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${s.url}/v1/models/m:predict`, { method: 'POST' });
      req.on('error', () => resolve());
      req.end('{"instances": [1]}');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 450));
    const metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    expect(metrics).not.toContain(':tensorflow:serving:batching_session:wrapped_run_count{');
    expect(series(metrics, ':tensorflow:serving:request_count', 'status="CANCELLED"')).toBe(1);
    expect(metrics).not.toContain(':tensorflow:serving:runtime_latency_count{');
  });

  it('serves Prometheus text only at the exact path', async () => {
    const s = await start(addConstantModel(1), { max_batch_size: 4 });
    const ok = await http(`${s.url}/monitoring/prometheus/metrics`);
    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, 'text/plain']);
    expect(ok.text).toContain('# TYPE :tensorflow:serving:request_count counter');
    expect(ok.text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(ok.text).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
    const query = await http(`${s.url}/monitoring/prometheus/metrics?x`);
    expect([query.status, query.text]).toEqual([
      400,
      'Unexpected path: /monitoring/prometheus/metrics?x. Should be /monitoring/prometheus/metrics',
    ]);
  });

  it('refuses a batching file without --enable_batching', async () => {
    repo = await TempModelRepository.create();
    await repo.addVersion('m', 1, addConstantModel(1));
    const file = await repo.writeFile('batching.config', 'max_batch_size { value: 4 }');
    await expect(
      startTestServer({ models: { name: 'm', basePath: repo.basePath('m') }, batchingParametersFile: file }),
    ).rejects.toThrow('server_options.batching_parameters_file is set without setting server_options.enable_batching to true.');
  });
});
