import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TempModelRepository } from './support/model-repository.js';
import { prometheusSample } from './support/prometheus-sample.js';
import { addConstantModel } from './support/onnx-graphs.js';
import { http, postJson, startTestServer } from './support/test-server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The built CLI (`npm test` builds it first); MILLRACE_CLI points elsewhere, e.g. at a private build. */
const BIN = process.env['MILLRACE_CLI'] ?? `${ROOT}dist/cli/main.js`;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('batching and monitoring configuration', () => {
  let repo: TempModelRepository | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await repo?.dispose();
    repo = undefined;
  });

  /** Models `own` (with a batching_params.pbtxt) and `plain` (without), and a server-wide max_batch_size of 4. */
  async function twoModels(ownParams: string): Promise<{ configFile: string; batchingParametersFile: string; monitoringConfigFile: string }> {
    repo = await TempModelRepository.create();
    await repo.addVersion('own', 1, addConstantModel(1));
    await repo.writeFile('own/1/batching_params.pbtxt', ownParams);
    await repo.addVersion('plain', 1, addConstantModel(1));
    const entries = ['own', 'plain'].map((name) => `config { name: "${name}" base_path: "${repo!.basePath(name)}" model_platform: "onnx" }`);
    return {
      configFile: await repo.writeFile('models.config', `model_config_list {\n${entries.join('\n')}\n}\n`),
      batchingParametersFile: await repo.writeFile('batching.config', 'max_batch_size { value: 4 } thread_pool_name { value: "shared_pool" }'),
      monitoringConfigFile: await repo.writeFile('monitoring.config', 'prometheus_config { enable: true }'),
    };
  }

  it('--enable_per_model_batching_parameters batches each version with its own batching_params.pbtxt, and leaves one without it unbatched', async () => {
    const files = await twoModels('max_batch_size { value: 10 } batch_timeout_micros { value: 200000 }');
    server = await startTestServer({ models: { configFile: files.configFile }, enableBatching: true, enablePerModelBatchingParameters: true, ...files });
    const url = server.url;
    // 6 rows would be refused by the server-wide max_batch_size of 4; the model's own limit is 10.
    const [a, b] = await Promise.all([
      postJson(`${url}/v1/models/own:predict`, { instances: [1, 2, 3, 4, 5, 6] }),
      postJson(`${url}/v1/models/own:predict`, { instances: [7, 8, 9] }),
    ]);
    expect([a.status, JSON.parse(a.text)]).toEqual([200, { predictions: [2, 3, 4, 5, 6, 7] }]);
    expect([b.status, JSON.parse(b.text)]).toEqual([200, { predictions: [8, 9, 10] }]);
    const plain = await postJson(`${url}/v1/models/plain:predict`, { instances: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
    expect([plain.status, JSON.parse(plain.text).predictions.length]).toEqual([200, 12]);
    const metrics = (await http(`${url}/monitoring/prometheus/metrics`)).text;
    // Both requests of `own` ran as one batch of 9, under the server-wide pool name; `plain` never went through the batcher.
    const own = 'thread_pool_name="shared_pool",model_name="own",model_version="1"';
    expect(prometheusSample(metrics, ':tensorflow:serving:batching_session:processed_batch_size_count', own)).toBe(1);
    expect(prometheusSample(metrics, ':tensorflow:serving:batching_session:processed_batch_size_sum', own)).toBe(9);
    expect(prometheusSample(metrics, ':tensorflow:serving:batching_session:wrapped_run_count', 'model_name="plain"')).toBe(0);
    expect(prometheusSample(metrics, ':tensorflow:serving:request_count', 'model_name="plain",status="OK"')).toBe(1);
    const stats = JSON.parse((await http(`${url}/v1/stats`)).text);
    expect(stats.batching).toMatchObject({ enabled: true, per_model_batching_parameters: true });
  });

  it('ignores batching_params.pbtxt without the flag: the server-wide parameters apply to every model', async () => {
    const files = await twoModels('max_batch_size { value: 10 }');
    server = await startTestServer({ models: { configFile: files.configFile }, enableBatching: true, ...files });
    const r = await postJson(`${server.url}/v1/models/own:predict`, { instances: [1, 2, 3, 4, 5, 6] });
    expect([r.status, JSON.parse(r.text)]).toEqual([400, { error: 'Task size 6 is larger than maximum input batch size 4' }]);
  });

  it('fails the load of a version whose batching_params.pbtxt does not parse', async () => {
    const files = await twoModels('max_batch_size { value: 10 } no_such_field: 1');
    await expect(
      startTestServer({ models: { configFile: files.configFile }, enableBatching: true, enablePerModelBatchingParameters: true, ...files }),
    ).rejects.toThrow(
      `1 servable(s) did not become available: {{name: own version: 1}: Error parsing text-format tensorflow.serving.BatchingParameters: ${repo!.basePath('own')}/1/batching_params.pbtxt:1: `,
    );
  });

  it('refuses an enabled Prometheus path without a leading slash at startup', async () => {
    repo = await TempModelRepository.create();
    await repo.addVersion('m', 1, addConstantModel(1));
    const monitoringConfigFile = await repo.writeFile('monitoring.config', 'prometheus_config { enable: true path: "metrics" }');
    await expect(startTestServer({ models: { name: 'm', basePath: repo.basePath('m') }, monitoringConfigFile })).rejects.toThrow(
      `${monitoringConfigFile}: prometheus_config.path must start with "/" (it is compared with the request path); got "metrics", did you mean "/metrics"?`,
    );
  });

  it('names the flag and the path when the server is started with a file that does not exist', async () => {
    repo = await TempModelRepository.create();
    await repo.addVersion('m', 1, addConstantModel(1));
    const models = { name: 'm', basePath: repo.basePath('m') };
    await expect(startTestServer({ models, enableBatching: true, batchingParametersFile: 'nope.txt' })).rejects.toThrow(
      '--batching_parameters_file: cannot read "nope.txt": no such file or directory',
    );
    await expect(startTestServer({ models, monitoringConfigFile: 'nope.txt' })).rejects.toThrow(
      '--monitoring_config_file: cannot read "nope.txt": no such file or directory',
    );
  });

  it('names the flag and the path of a missing batching or monitoring file, and exits 2', () => {
    const model = ['--rest_api_port=0', '--port=0', '--model_base_path=examples/models/half_plus_two', '--log_level=error'];
    expect(cli(['serve', ...model, '--enable_batching', '--batching_parameters_file=nope.txt'])).toMatchObject({
      status: 2,
      stderr: 'millrace: flag --batching_parameters_file: cannot read "nope.txt": no such file or directory\n',
    });
    expect(cli(['serve', ...model, '--monitoring_config_file=nope.txt'])).toMatchObject({
      status: 2,
      stderr: 'millrace: flag --monitoring_config_file: cannot read "nope.txt": no such file or directory\n',
    });
    expect(cli(['serve', ...model, '--monitoring_config_file=examples'])).toMatchObject({
      status: 2,
      stderr: 'millrace: flag --monitoring_config_file: cannot read "examples": it is a directory\n',
    });
    const help = cli(['serve', '--help']);
    expect(help.stdout).toMatch(/--enable_per_model_batching_parameters=bool +with --enable_batching, each model version batches with the batching_params\.pbtxt/);
  });
});
