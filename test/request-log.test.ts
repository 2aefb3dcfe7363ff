import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { serveCommand } from '../src/cli/serve.js';
import { statsCommand } from '../src/cli/stats.js';
import { validateCommand } from '../src/cli/validate.js';
import { OnnxElemType } from '../src/runtime/onnx-model-proto.js';
import { RequestLogPredictor, type RequestLogSink } from '../src/serving/request-log/request-log-predictor.js';
import { requestLogLines } from '../src/serving/request-log/request-log-rows.js';
import type { PredictRequest, Predictor } from '../src/serving/predictor.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { freePort } from './support/free-port.js';
import { GrpcTestClient } from './support/grpc-client.js';
import { TempModelRepository } from './support/model-repository.js';
import { halfPlusTwoModel, identityModel } from './support/onnx-graphs.js';
import { postJson, startTestServer } from './support/test-server.js';
import { captureProcessOutput } from './support/process-output.js';

// Keeps the commands' progress lines out of the test output.
captureProcessOutput();

interface StatsJson {
  datasets: Array<{
    name: string;
    numExamples: string;
    features: Array<{ path: { step: string[] }; type?: string; numStats?: Record<string, unknown>; stringStats?: Record<string, unknown> }>;
  }>;
}

const featureOf = (stats: StatsJson, dataset: number, name: string) => stats.datasets[dataset]!.features.find((f) => f.path.step[0] === name);

describe('serve --request_log_dir', () => {
  it('logs predict requests of every protocol as JSON lines that stats reads exactly, and validate measures skew on them', async () => {
    const repo = await TempModelRepository.create();
    try {
      await repo.addVersion('half', 1, halfPlusTwoModel());
      await repo.addVersion('words', 3, identityModel(OnnxElemType.STRING, ['batch'], { input: 'text', output: 'echo' }));
      const config = await repo.writeFile(
        'models.config',
        `model_config_list {
          config { name: "half" base_path: "${repo.basePath('half')}" model_platform: "onnx" }
          config { name: "words" base_path: "${repo.basePath('words')}" model_platform: "onnx" }
        }`,
      );
      const logDir = join(repo.root, 'requests');
      const server = await startTestServer({
        models: { configFile: config },
        grpc: { port: await freePort(), host: '127.0.0.1', enableHealthCheck: false, serializeAsTensorContent: false },
        // Small files, so the log rotates within the test.
        requestLog: { dir: logDir, samplingRate: 1, maxFileBytes: 400, maxBufferedBytes: 1 << 20 },
      });
      const client = new GrpcTestClient(server.grpcPort);
      try {
        // TF Serving REST, row and columnar; TF Serving gRPC; Open Inference Protocol REST; strings.
        expect((await postJson(`${server.url}/v1/models/half:predict`, { instances: [[1.0], [2.0], [3.0]] })).status).toBe(200);
        expect((await postJson(`${server.url}/v1/models/half:predict`, { inputs: { x: [[4.0]] } })).status).toBe(200);
        await client.predict({ model_spec: { name: 'half' }, inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '2' }, { size: '1' }] }, float_val: [5, 6] } } });
        const v2 = await postJson(`${server.url}/v2/models/half/infer`, { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [7.5] }] });
        expect(v2.status).toBe(200);
        const words = { instances: ['red', 'blue', 'red', { b64: Buffer.from('green').toString('base64') }] };
        expect((await postJson(`${server.url}/v1/models/words:predict`, words)).status).toBe(200);
        // A request that fails is not logged.
        expect((await postJson(`${server.url}/v1/models/half:predict`, { instances: [['not a number']] })).status).toBe(400);
      } finally {
        client.close();
        await server.close();
      }
      // Requests (not rows) written, by model; the failed one was never offered to the log.
      const counted = await server.metrics.registry.getSingleMetricAsString(':tensorflow:serving:request_log_count');
      expect(counted).toContain(':tensorflow:serving:request_log_count{model_name="half",status="OK"} 4');
      expect(counted).toContain(':tensorflow:serving:request_log_count{model_name="words",status="OK"} 1');

      const files = (await readdir(logDir)).sort();
      expect(files.length).toBeGreaterThan(1);
      expect(files.every((f) => /^requests-\d{8}T\d{9}Z-.+-\d+-\d{6}\.jsonl$/.test(f))).toBe(true);
      const lines = (await Promise.all(files.map((f) => readFile(join(logDir, f), 'utf8'))))
        .join('')
        .split('\n')
        .filter((l) => l !== '');
      const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows.map(({ __timestamp_ms: t, ...rest }) => (expect(typeof t).toBe('number'), rest))).toEqual([
        ...[1, 2, 3, 4, 5, 6, 7.5].map((x) => ({ x: [x], __model_name: 'half', __model_version: 1, __signature_name: 'serving_default' })),
        ...['red', 'blue', 'red', 'green'].map((text) => ({ text, __model_name: 'words', __model_version: 3, __signature_name: 'serving_default' })),
      ]);
      // Floats are written as floats (1.0, not 1), so statistics type them FLOAT.
      expect(lines[0]).toMatch(/^\{"x":\[1\.0\],"__model_name":"half","__model_version":1,"__signature_name":"serving_default","__timestamp_ms":\d+\}$/);

      // Statistics of the log directory, sliced by model, without the log's own fields.
      const statsFile = join(repo.root, 'serving.json');
      expect(await statsCommand(['--input', logDir, '--output', statsFile, '--slice_by', '__model_name', '--exclude_features', '__*'])).toBe(0);
      const stats = JSON.parse(await readFile(statsFile, 'utf8')) as StatsJson;
      expect(stats.datasets.map((d) => [d.name, d.numExamples])).toEqual([
        ['All Examples', '11'],
        ['__model_name_half', '7'],
        ['__model_name_words', '4'],
      ]);
      expect(stats.datasets[0]!.features.map((f) => f.path.step[0])).toEqual(['text', 'x']);
      const x = featureOf(stats, 1, 'x')!;
      expect(x.type).toBe('FLOAT');
      expect(x.numStats).toMatchObject({
        commonStats: { numNonMissing: '7', minNumValues: '1', maxNumValues: '1', avgNumValues: 1, totNumValues: '7' },
        mean: 4.071428571428571,
        min: 1,
        median: 4,
        max: 7.5,
      });
      const text = featureOf(stats, 2, 'text')!;
      expect(text.stringStats).toMatchObject({
        unique: '3',
        topValues: [
          { value: 'red', frequency: 2 },
          { value: 'green', frequency: 1 },
          { value: 'blue', frequency: 1 },
        ],
      });

      // Training/serving skew of the categorical feature, with the L-infinity threshold set in the schema.
      const training = join(repo.root, 'train.csv');
      await writeFile(training, 'text\nred\nred\nred\nred\nblue\n');
      expect(await statsCommand(['--input', training, '--output', join(repo.root, 'train.json')])).toBe(0);
      const schema = join(repo.root, 'schema.pbtxt');
      await writeFile(schema, 'feature { name: "text" type: BYTES skew_comparator { infinity_norm { threshold: 0.1 } } }\n');
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const anomaliesFile = join(repo.root, 'anomalies.json');
      expect(
        await validateCommand(['--stats', join(repo.root, 'train.json'), '--schema', schema, '--serving_stats', statsFile, '--output', anomaliesFile]),
      ).toBe(1);
      const anomalies = JSON.parse(await readFile(anomaliesFile, 'utf8')) as {
        anomalyInfo: Record<string, { reason: Array<{ type: string; description: string }> }>;
        driftSkewInfo: unknown[];
      };
      // Training: red 4/5, blue 1/5. Serving: red 2/4, blue 1/4, green 1/4. L∞ = max(0.3, 0.05, 0.25), at red.
      expect(anomalies.driftSkewInfo).toEqual([{ path: { step: ['text'] }, skewMeasurements: [{ type: 'L_INFTY', value: 0.8 - 0.5, threshold: 0.1 }] }]);
      expect(anomalies.anomalyInfo['text']!.reason).toEqual([
        {
          type: 'COMPARATOR_L_INFTY_HIGH',
          shortDescription: 'High Linfty distance between training and serving',
          description: 'The Linfty distance between training and serving is 0.3 (up to six significant digits), above the threshold 0.1. The feature value with maximum difference is: red',
        },
      ]);
    } finally {
      await repo.dispose();
    }
  });

  it('refuses a sampling rate outside [0, 1]', async () => {
    await expect(serveCommand(['--model_base_path', '/tmp/unused', '--request_log_dir', '/tmp/unused', '--request_log_sampling', '1.5'], '0')).rejects.toThrow(
      'flag --request_log_sampling expects a number in [0, 1], got 1.5',
    );
  });

  it('samples requests at the given rate and drops, with a count, what does not fit its buffer', async () => {
    const recorded: number[] = [];
    const sink: RequestLogSink = {
      record: (r) => {
        recorded.push(r.inputs.get('x')!.shape[0]!);
        return true;
      },
    };
    const tensor = (n: number): Tensor => ({ dtype: 'DT_FLOAT', shape: [n], data: new Float32Array(n) });
    const inner: Predictor = {
      predict: (request: PredictRequest) => {
        const inputs = typeof request.inputs === 'function' ? request.inputs({} as never) : request.inputs;
        return Promise.resolve({ modelSpec: { name: 'm', version: 1, signatureName: 'serving_default' }, outputs: inputs });
      },
      classify: () => Promise.reject(new Error('unused')),
      regress: () => Promise.reject(new Error('unused')),
      metadata: () => Promise.reject(new Error('unused')),
      status: () => Promise.resolve([]),
    };
    const draws = [0.1, 0.5, 0.29, 0.31, 0.0];
    const sampled = new RequestLogPredictor(inner, sink, 0.3, () => draws.shift()!);
    for (let n = 1; n <= 5; n++) await sampled.predict({ modelSpec: { name: 'm' }, inputs: () => new Map([['x', tensor(n)]]) });
    // Draws below 0.3 are logged: requests 1, 3 and 5.
    expect(recorded).toEqual([1, 3, 5]);

    const { RequestLogWriter } = await import('../src/serving/request-log/request-log-writer.js');
    const dropped: string[] = [];
    const dir = join((await TempModelRepository.create()).root, 'log');
    const writer = await RequestLogWriter.open({ dir, maxFileBytes: 1 << 20, maxBufferedBytes: 256 + 400 + 256 + 400, onDropped: (m, reason) => dropped.push(`${m}:${reason}`) });
    const request = (n: number) => ({
      model: { name: 'm', version: 1, signatureName: 's' },
      inputs: new Map<string, Tensor>([['x', { dtype: 'DT_FLOAT', shape: [1, n], data: new Float32Array(n) }]]),
      timestampMs: 0,
    });
    // One row of 100 floats is 400 bytes (+256 of overhead): two fit, the third is dropped at once.
    expect([writer.record(request(100)), writer.record(request(100)), writer.record(request(100))]).toEqual([true, true, false]);
    await writer.close();
    expect(writer.record(request(1))).toBe(false);
    expect(dropped).toEqual(['m:full', 'm:closed']);
    const [file] = await readdir(dir);
    expect((await readFile(join(dir, file!), 'utf8')).split('\n').filter((l) => l !== '')).toHaveLength(2);
  });

  it('writes one row per instance, scalars as scalars, and the whole request as one row when inputs do not share a batch', () => {
    const model = { name: 'm', version: 2, signatureName: 'sig' };
    const meta = '"__model_name":"m","__model_version":2,"__signature_name":"sig","__timestamp_ms":5}';
    const inputs = new Map<string, Tensor>([
      ['a', { dtype: 'DT_INT64', shape: [2], data: BigInt64Array.of(9007199254740993n, -1n) }],
      ['b', { dtype: 'DT_DOUBLE', shape: [2, 2], data: Float64Array.of(0.1, NaN, Infinity, -2) }],
      ['c', { dtype: 'DT_BOOL', shape: [2], data: Uint8Array.of(1, 0) }],
    ]);
    expect(requestLogLines({ model, inputs, timestampMs: 5 })).toBe(
      `{"a":9007199254740993,"b":[0.1,"NaN"],"c":true,${meta}\n{"a":-1,"b":["Infinity",-2],"c":false,${meta}\n`,
    );
    const unbatched = new Map<string, Tensor>([
      ['s', { dtype: 'DT_FLOAT', shape: [], data: Float32Array.of(0.1) }],
      ['v', { dtype: 'DT_HALF', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x3555) }],
    ]);
    expect(requestLogLines({ model, inputs: unbatched, timestampMs: 5 })).toBe(`{"s":0.1,"v":[1,-2,0.333251953125],${meta}\n`);
    expect(requestLogLines({ model, inputs: new Map([['x', { dtype: 'DT_FLOAT', shape: [0, 3], data: new Float32Array(0) }]]), timestampMs: 5 })).toBe('');
    // Bytes that are not UTF-8 as TF Serving's {"b64": …}.
    const bytes: Tensor = { dtype: 'DT_STRING', shape: [2], data: [Buffer.from('é'), Uint8Array.of(0xff)] };
    expect(requestLogLines({ model, inputs: new Map([['t', bytes]]), timestampMs: 5 })).toBe(`{"t":"é",${meta}
{"t":{"b64":"/w=="},${meta}
`);
  });
});
