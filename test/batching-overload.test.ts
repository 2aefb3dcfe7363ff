import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempModelRepository } from './support/model-repository.js';
import { mlpModel } from './support/onnx-graphs.js';
import { prometheusSample } from './support/prometheus-sample.js';
import { http, postJson, startTestServer } from './support/test-server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const CLIENTS = 300;
const LOAD_MS = 4000;
const REST_TIMEOUT_MS = 800;
/** Growth of this process's RSS (server and clients together) allowed during the load. */
const RSS_GROWTH_LIMIT_BYTES = 256 * 1024 * 1024;

const QUEUE_FULL = 'The batch scheduling queue to which this task was submitted is full';
const DEADLINE = 'Deadline Exceeded';

interface Outcome {
  readonly status: number;
  readonly body: string;
}

/** One POST over a kept-alive connection; a socket error resolves as status 0 with the error's message. */
function post(agent: Agent, url: string, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ status: 0, body: err.message }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end(body);
  });
}

describe('batching under overload', () => {
  let repo: TempModelRepository;
  let server: Server;

  beforeAll(async () => {
    repo = await TempModelRepository.create();
    // Two 512-wide hidden layers: a batch of 32 rows takes a few milliseconds, so 300 clients outrun it.
    await repo.addVersion('m', 1, mlpModel(16, [512, 512], 1, 5));
    server = await startTestServer({
      models: { name: 'm', basePath: repo.basePath('m') },
      enableBatching: true,
      batchingParametersFile: await repo.writeFile(
        'batching.config',
        'max_batch_size { value: 32 } batch_timeout_micros { value: 0 } max_enqueued_batches { value: 2 } num_batch_threads { value: 1 }',
      ),
      monitoringConfigFile: await repo.writeFile('monitoring.config', 'prometheus_config { enable: true }'),
      restTimeoutMs: REST_TIMEOUT_MS,
    });
  });

  afterAll(async () => {
    await server?.close();
    await repo?.dispose();
  });

  it(`answers ${CLIENTS} concurrent clients with 200, 503 or 504 only, stays ready, and keeps memory bounded`, async () => {
    const url = `${server.url}/v1/models/m:predict`;
    const body = JSON.stringify({ instances: [Array.from({ length: 16 }, (_, i) => i / 16)] });
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const rssBefore = process.memoryUsage().rss;
    let rssMax = rssBefore;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 100);
    const outcomes: Outcome[] = [];
    const until = Date.now() + LOAD_MS;
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (Date.now() < until) outcomes.push(await post(agent, url, body));
        }),
      );
    } finally {
      clearInterval(sampler);
      agent.destroy();
    }

    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const unexpected = outcomes.filter((o) => {
      if (o.status === 200) return (JSON.parse(o.body) as { predictions: number[][] }).predictions.length !== 1;
      if (o.status === 503) return JSON.parse(o.body).error !== QUEUE_FULL;
      if (o.status === 504) return JSON.parse(o.body).error !== DEADLINE;
      return true;
    });
    // Socket errors show as status 0 here, so this also says there were none.
    expect(unexpected.slice(0, 3)).toEqual([]);
    expect([...byStatus.keys()].every((s) => s === 200 || s === 503 || s === 504)).toBe(true);
    // Real overload: some requests ran, some were refused.
    expect(byStatus.get(200) ?? 0).toBeGreaterThan(100);
    expect(byStatus.get(503) ?? 0).toBeGreaterThan(100);
    expect(rssMax - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);

    // The server is still ready and correct, and its counters agree with what the clients saw.
    const status = await http(`${server.url}/v1/models/m`);
    expect([status.status, JSON.parse(status.text).model_version_status[0].state]).toEqual([200, 'AVAILABLE']);
    const after = await postJson(url, body);
    expect([after.status, (JSON.parse(after.text) as { predictions: number[][] }).predictions.length]).toEqual([200, 1]);
    const metrics = (await http(`${server.url}/monitoring/prometheus/metrics`)).text;
    const count = (status: string): number => prometheusSample(metrics, ':tensorflow:serving:request_count', `model_name="m",status="${status}",entrypoint="REST"`);
    // +2: the status GET and the predict afterwards.
    expect([count('OK'), count('UNAVAILABLE'), count('DEADLINE_EXCEEDED')]).toEqual([(byStatus.get(200) ?? 0) + 2, byStatus.get(503) ?? 0, byStatus.get(504) ?? 0]);
  }, 20_000);
});
