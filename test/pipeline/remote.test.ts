// `millrace predict --model <server URL>`: the same job against a real millrace server, over each protocol,
// writes exactly what the embedded run writes.
import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { predictCommand } from '../../src/cli/predict.js';
import { ServingError } from '../../src/errors/serving-error.js';
import { predictInstances } from '../../src/pipeline/batch-predict.js';
import type { Signature } from '../../src/runtime/signature.js';
import type { Predictor } from '../../src/serving/predictor.js';
import { OnnxElemType } from '../../src/runtime/onnx-model-proto.js';
import { freePort } from '../support/free-port.js';
import { identityModel } from '../support/onnx-graphs.js';
import { startTestServer } from '../support/test-server.js';
import { jsonLines, readOutputs, tempDir, weightedSumModel, writeModel, writeText } from './support.js';

let dir: { path: string; dispose(): Promise<void> };
let server: Awaited<ReturnType<typeof startTestServer>>;
let urls: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  const sum = await writeModel(join(dir.path, 'models'), 'sum', weightedSumModel());
  const ragged = await writeModel(join(dir.path, 'models'), 'ragged', identityModel(OnnxElemType.FLOAT, [-1, -1]));
  const config = await writeText(
    join(dir.path, 'models.config'),
    `model_config_list {
      config { name: "sum" base_path: "${sum}" model_platform: "onnx" }
      config { name: "ragged" base_path: "${ragged}" model_platform: "onnx" }
    }`,
  );
  server = await startTestServer({ models: { configFile: config }, grpc: { port: await freePort(), host: '127.0.0.1', enableHealthCheck: false, serializeAsTensorContent: false } });
  urls = {
    'TF REST': `http://127.0.0.1:${server.restPort}`,
    'TF gRPC': `grpc://127.0.0.1:${server.grpcPort}`,
    'v2 REST': `v2+http://127.0.0.1:${server.restPort}`,
    'v2 gRPC': `v2+grpc://127.0.0.1:${server.grpcPort}`,
  };
});

afterAll(async () => {
  await server?.close();
  await dir?.dispose();
});

/** Runs the command in this process, keeping its summary and progress lines out of the test output. */
async function predict(args: string[]): Promise<number> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await predictCommand([...args, '--progress_interval_seconds', '3600']);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('predict against a server', () => {
  it('writes the same results and errors as the embedded model, over every protocol', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => (i === 123 ? '{"id":123,"a":"x","b":1}' : `{"id":${i},"a":${i / 7},"b":${-i}}`));
    const input = await writeText(join(dir.path, 'sum.jsonl'), `${rows.join('\n')}\n`);
    const common = ['--input', input, '--key_field', 'id', '--batch_size', '16', '--records_per_unit', '200'];
    const embeddedOut = join(dir.path, 'sum-embedded');
    expect(await predict(['--model', join(dir.path, 'models', 'sum'), '--output', embeddedOut, ...common])).toBe(1);
    const expected = await readOutputs(embeddedOut);
    expect(Object.keys(expected)).toHaveLength(6);
    expect(expected['prediction.errors-00000-of-00003']).toContain('"key":123');
    for (const [name, url] of Object.entries(urls)) {
      const out = join(dir.path, `sum-${name.replace(' ', '-')}`);
      expect(await predict(['--model', url, '--model_name', 'sum', '--output', out, '--remote_concurrency', '4', ...common]), name).toBe(1);
      expect(await readOutputs(out), name).toEqual(expected);
    }
  });

  it('splits a batch the server rejects as INVALID_ARGUMENT down to the rows that fit', async () => {
    const input = await writeText(join(dir.path, 'ragged.jsonl'), '[1]\n[2,3]\n[4]\n[5,6,7]\n[8]\n');
    const embeddedOut = join(dir.path, 'ragged-embedded');
    expect(await predict(['--model', join(dir.path, 'models', 'ragged'), '--input', input, '--output', embeddedOut, '--batch_size', '4'])).toBe(0);
    const expected = await readOutputs(embeddedOut);
    expect(expected['prediction.results-00000-of-00001']!.split('\n')).toHaveLength(6);
    for (const name of ['TF REST', 'TF gRPC']) {
      const out = join(dir.path, `ragged-${name.replace(' ', '-')}`);
      expect(await predict(['--model', urls[name]!, '--model_name', 'ragged', '--input', input, '--output', out, '--batch_size', '4']), name).toBe(0);
      expect(await readOutputs(out), name).toEqual(expected);
    }
  });

  it('retries an attempt that outlives --remote_attempt_timeout_ms, so one hung call does not use up the deadline', async () => {
    // A proxy in front of the server that never answers the first `stalls` predict calls (the connection stays open).
    let predictCalls = 0;
    let stalls = 1;
    const hung: ServerResponse[] = [];
    const proxy = createServer((request, response) => {
      if (request.method === 'POST' && request.url!.endsWith(':predict') && ++predictCalls <= stalls) {
        request.resume();
        hung.push(response);
        return;
      }
      const upstream = httpRequest({ host: '127.0.0.1', port: server.restPort, method: request.method, path: request.url, headers: request.headers }, (reply) => {
        response.writeHead(reply.statusCode!, reply.headers);
        reply.pipe(response);
      });
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const input = await writeText(join(dir.path, 'stall.jsonl'), '{"id":1,"a":1,"b":2}\n{"id":2,"a":3,"b":0.5}\n');
      const args = ['--model', url, '--model_name', 'sum', '--input', input, '--key_field', 'id'];
      const out = join(dir.path, 'stall-out');
      const started = Date.now();
      expect(await predict([...args, '--output', out, '--remote_attempt_timeout_ms', '300', '--remote_deadline_ms', '20000'])).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(predictCalls).toBe(2);
      expect(await readOutputs(out)).toEqual({
        'prediction.errors-00000-of-00001': '',
        'prediction.results-00000-of-00001': '{"key":1,"instance":{"a":1,"b":2},"prediction":4.0}\n{"key":2,"instance":{"a":3,"b":0.5},"prediction":6.5}\n',
      });

      // A server that never answers: every attempt times out, and after the last retry the rows fail saying so.
      predictCalls = 0;
      stalls = Infinity;
      const failedOut = join(dir.path, 'stall-failed');
      expect(await predict([...args, '--output', failedOut, '--remote_attempt_timeout_ms', '200', '--remote_deadline_ms', '20000'])).toBe(1);
      expect(predictCalls).toBe(4);
      const errors = jsonLines((await readOutputs(failedOut))['prediction.errors-00000-of-00001']!) as Array<{ key: number; error: { code: string; message: string } }>;
      expect(errors.map((e) => [e.key, e.error.code])).toEqual([
        [1, 'DEADLINE_EXCEEDED'],
        [2, 'DEADLINE_EXCEEDED'],
      ]);
      expect(errors[0]!.error.message).toMatch(new RegExp(`^Deadline exceeded after \\d+ ms waiting for POST ${url}/v1/models/sum/versions/1:predict \\(attempt 4, attemptTimeoutMs 200\\)$`));
    } finally {
      for (const response of hung) response.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('fails every row of a batch with an error that is not INVALID_ARGUMENT at once, without splitting', async () => {
    let calls = 0;
    const predictor = {
      predict: () => {
        calls++;
        return Promise.reject(new ServingError('UNAVAILABLE', 'connection refused'));
      },
    } as unknown as Predictor;
    const signature = { key: 'serving_default', inputs: new Map(), outputs: new Map(), methodName: 'tensorflow/serving/predict' } as unknown as Signature;
    const outcomes = await predictInstances({ predictor, modelSpec: { name: 'm' }, signature, splitOn: (e) => e.code === 'INVALID_ARGUMENT' }, ['1', '2', '3', '4']);
    expect(calls).toBe(1);
    expect(outcomes.map((o) => ('error' in o ? o.error.message : o.prediction))).toEqual(Array(4).fill('connection refused'));
  });

  it('needs --model_name with a URL; --label only with a URL', async () => {
    const input = await writeText(join(dir.path, 'few.jsonl'), '{"a":1,"b":2}\n');
    await expect(predict(['--model', urls['TF REST']!, '--input', input, '--output', join(dir.path, 'x')])).rejects.toThrow('--model_name is required when --model is a server URL');
    await expect(predict(['--model', join(dir.path, 'models', 'sum'), '--label', 'stable', '--input', input, '--output', join(dir.path, 'x')])).rejects.toThrow(
      '--label needs a server URL as --model',
    );
  });
});
