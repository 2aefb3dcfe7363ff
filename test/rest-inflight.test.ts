import { afterEach, describe, expect, it } from 'vitest';
import { serveCommand } from '../src/cli/serve.js';
import { OnnxElemType } from '../src/runtime/onnx-model-proto.js';
import { TempModelRepository } from './support/model-repository.js';
import { addConstantModel, identityModel } from './support/onnx-graphs.js';
import { errorOf, http, postJson, startTestServer } from './support/test-server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const LIMIT_TEXT = 'Too many requests in flight: the limit is 1 (set by --rest_api_max_inflight_requests)';

describe('REST requests in flight', () => {
  let repo: TempModelRepository | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await repo?.dispose();
  });

  async function start(model: Uint8Array, batching: string, extra: Parameters<typeof startTestServer>[0] extends infer O ? Partial<O> : never = {}): Promise<Server> {
    repo = await TempModelRepository.create();
    await repo.addVersion('m', 1, model);
    server = await startTestServer({
      models: { name: 'm', basePath: repo.basePath('m') },
      enableBatching: true,
      batchingParametersFile: await repo.writeFile('batching.config', batching),
      monitoringConfigFile: await repo.writeFile('monitoring.config', 'prometheus_config { enable: true }'),
      ...extra,
    });
    return server;
  }

  it('answers a POST beyond the limit with 503 at once, and serves GETs and later POSTs', async () => {
    // A long batch timeout keeps the first request in flight while the others arrive.
    const s = await start(addConstantModel(1), 'max_batch_size { value: 4 } batch_timeout_micros { value: 300000 }', { restMaxInflightRequests: 1 });
    const waiting = postJson(`${s.url}/v1/models/m:predict`, '{"instances": [1, 2]}');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const refused = await postJson(`${s.url}/v1/models/m:predict`, '{"instances": [3]}');
    expect([refused.status, errorOf(refused)]).toEqual([503, LIMIT_TEXT]);
    expect(Date.now() - started).toBeLessThan(200);
    const v2 = await postJson(`${s.url}/v2/models/m/infer`, { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });
    expect([v2.status, errorOf(v2)]).toEqual([503, LIMIT_TEXT]);
    expect((await http(`${s.url}/v1/models/m`)).status).toBe(200);
    expect(JSON.parse((await waiting).text)).toEqual({ predictions: [2, 3] });
    const after = await postJson(`${s.url}/v1/models/m:predict`, '{"instances": [5]}');
    expect([after.status, JSON.parse(after.text)]).toEqual([200, { predictions: [6] }]);
    const metrics = (await http(`${s.url}/monitoring/prometheus/metrics`)).text;
    expect(metrics).toContain(':tensorflow:serving:request_count{model_name="m",status="UNAVAILABLE",entrypoint="REST"} 1\n');
    // The status GET counts too; the refused v2 call does not (request_count is TF Serving's API only).
    expect(metrics).toContain(':tensorflow:serving:request_count{model_name="m",status="OK",entrypoint="REST"} 3\n');
    expect(metrics).not.toContain('model_name=""');
  });

  it('gives every client its own rows when batches reuse their input memory', async () => {
    const s = await start(identityModel(OnnxElemType.FLOAT, [-1, 3]), 'max_batch_size { value: 8 } batch_timeout_micros { value: 1000 } max_enqueued_batches { value: 1000 }');
    const rounds = await Promise.all(
      Array.from({ length: 6 }, async (_, round) => {
        const clients = Array.from({ length: 20 }, (_, c) => {
          const rows = Array.from({ length: 1 + (c % 3) }, (_, r) => [round, c, r]);
          return postJson(`${s.url}/v1/models/m:predict`, { instances: rows }).then((res) => [JSON.parse(res.text) as unknown, { predictions: rows }]);
        });
        return Promise.all(clients);
      }),
    );
    for (const [got, expected] of rounds.flat()) expect(got).toEqual(expected);
  });

  it('refuses negative limits before starting', async () => {
    await expect(serveCommand(['--model_base_path=/nonexistent', '--rest_api_max_inflight_requests=-1'], 'test')).rejects.toThrow(
      'flag --rest_api_max_inflight_requests expects 0 or more, got -1',
    );
    await expect(serveCommand(['--model_base_path=/nonexistent', '--rest_api_listen_backlog=-5'], 'test')).rejects.toThrow('flag --rest_api_listen_backlog expects 0 or more, got -5');
  });
});
