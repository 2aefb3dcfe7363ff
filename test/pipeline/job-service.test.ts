// The on-demand batch service of `millrace serve`, over real HTTP: jobs over directory trees, their states,
// refused paths, concurrency, failures and the memory budget.
import { readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../src/pipeline/job-service.js';
import { JobModelCache, modelFootprint } from '../../src/pipeline/job-models.js';
import { JobRoot } from '../../src/pipeline/job-paths.js';
import { estimateJobBytes } from '../../src/pipeline/job-service.js';
import { halfPlusTwoModel } from '../support/onnx-graphs.js';
import { http, postJson, startTestServer } from '../support/test-server.js';
import { tempDir, weightedSumModel, writeModel, writeText } from './support.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

let dir: { path: string; dispose(): Promise<void> };
let root: string;
let server: Server;
let modelBytes: number;

beforeAll(async () => {
  dir = await tempDir();
  root = join(dir.path, 'root');
  const model = await writeModel(join(root, 'models'), 'sum', weightedSumModel());
  modelBytes = (await stat(join(model, '1', 'model.onnx'))).size;
  await writeText(join(root, 'in', 'a', 'one.jsonl'), '{"a":1,"b":2}\n{"a":3,"b":0.5}\n');
  await writeText(join(root, 'in', 'a', 'b', 'two.jsonl'), '{"a":-1,"b":1}\n{"a":"x","b":1}\n{"a":10,"b":0}\n');
  await writeText(join(dir.path, 'outside', 'x.jsonl'), '{"a":1,"b":1}\n');
  await symlink(join(dir.path, 'outside'), join(root, 'escape'), 'dir');
  server = await start({ memoryBudgetBytes: 512 * 1024 * 1024, maxConcurrentJobs: 2 });
});

afterAll(async () => {
  await server?.close();
  await dir?.dispose();
});

function start(jobs: { memoryBudgetBytes: number; maxConcurrentJobs: number }): Promise<Server> {
  return startTestServer({ models: { name: 'sum', basePath: join(root, 'models', 'sum') }, jobs: { root, ...jobs } });
}

async function submit(on: Server, params: Record<string, string>): Promise<{ status: number; body: JobStatus & { error?: unknown } }> {
  const r = await http(`${on.url}/v1/jobs?${new URLSearchParams(params).toString()}`, { method: 'POST' });
  return { status: r.status, body: JSON.parse(r.text) as JobStatus };
}

async function finished(on: Server, id: string): Promise<JobStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = JSON.parse((await http(`${on.url}/v1/jobs/${id}`)).text) as JobStatus;
    if (status.state === 'succeeded' || status.state === 'failed' || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const read = (path: string): Promise<string> => readFile(join(root, path), 'utf8');

describe('on-demand batch jobs', () => {
  it('runs a job over a directory tree into a mirrored output tree, with exact predictions', async () => {
    const { status, body } = await submit(server, { model: 'models/sum', input: 'in', output: 'out' });
    expect(status).toBe(202);
    expect(body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), state: 'running', model: 'models/sum', input: 'in', output: 'out' });
    const done = await finished(server, body.id);
    // Every file was run to its end, but a row failed: the job says so, as `millrace predict` exits 1.
    expect(done).toMatchObject({
      state: 'failed',
      progress: { rows_read: 5, rows_predicted: 4, rows_failed: 1, files_done: 2, files_total: 2 },
      outputs: ['out/a/b/two.jsonl', 'out/a/one.jsonl'],
      error: { code: 'INVALID_ARGUMENT', message: "1 of 5 rows failed; see prediction.errors-* under out for each row's error" },
    });
    expect(await read('out/a/one.jsonl/prediction.results-00000-of-00001')).toBe('{"instance":{"a":1,"b":2},"prediction":4.0}\n{"instance":{"a":3,"b":0.5},"prediction":6.5}\n');
    expect(await read('out/a/one.jsonl/prediction.errors-00000-of-00001')).toBe('');
    expect(await read('out/a/b/two.jsonl/prediction.results-00000-of-00001')).toBe('{"instance":{"a":-1,"b":1},"prediction":-1.0}\n{"instance":{"a":10,"b":0},"prediction":20.0}\n');
    // The error row names its input relative to the job root, never by the server's absolute path.
    expect(JSON.parse(await read('out/a/b/two.jsonl/prediction.errors-00000-of-00001'))).toEqual({
      instance: { a: 'x', b: 1 },
      error: { code: 'INVALID_ARGUMENT', message: 'field "a": expected a number (DT_FLOAT), got the string "x"' },
      input: 'in/a/b/two.jsonl',
      line: 2,
    });
    expect((await readdir(join(root, 'out'))).sort()).toEqual(['a']);

    const list = JSON.parse((await http(`${server.url}/v1/jobs`)).text) as { jobs: JobStatus[] };
    expect(list.jobs.find((j) => j.id === body.id)).toEqual(done);
    expect((await http(`${server.url}/v1/jobs/0123456789abcdef`)).status).toBe(404);
  });

  it('takes the parameters as a JSON body too, and a single file as input', async () => {
    const r = await postJson(`${server.url}/v1/jobs`, { model: 'models', model_name: 'sum', input: 'in/a/one.jsonl', output: 'single' });
    expect(r.status).toBe(202);
    const done = await finished(server, (JSON.parse(r.text) as JobStatus).id);
    expect(done).toMatchObject({ state: 'succeeded', outputs: ['single/one.jsonl'] });
    expect(await read('single/one.jsonl/prediction.results-00000-of-00001')).toContain('"prediction":6.5');
  });

  it('refuses paths that leave the job root with 400, naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['input=../outside/x.jsonl&model=models/sum&output=o', 'parameter "input" must not contain ".." segments; paths are relative to the job root'],
      ['input=%2e%2e%2foutside&model=models/sum&output=o', 'parameter "input" must not contain ".." segments; paths are relative to the job root'],
      ['input=in&model=models/..%5c..%5csum&output=o', 'parameter "model" must not contain ".." segments; paths are relative to the job root'],
      ['input=%252e%252e%252foutside&model=models/sum&output=o', 'parameter "input" must not be percent-encoded (found "%2e"); give the path as it is, relative to the job root'],
      [`input=in&model=models/sum&output=${encodeURIComponent(join(dir.path, 'outside'))}`, 'parameter "output" is an absolute path outside the job root; give it relative to the job root'],
      ['input=escape/x.jsonl&model=models/sum&output=o', 'parameter "input" leads outside the job root through a symbolic link'],
      ['input=in&model=models/sum&output=escape/new/dir', 'parameter "output" leads outside the job root through a symbolic link'],
      ['input=in&model=models/sum', 'parameter "output" is required'],
      ['input=in&model=models/sum&output=x,/tmp', 'parameter "output" must not contain ",": a job\'s paths are plain paths, not lists or globs'],
      ['input=in/*&model=models/sum&output=o', 'parameter "input" must not contain "*": a job\'s paths are plain paths, not lists or globs'],
      ['input=in/a/one.jsonl,/etc/passwd&model=models/sum&output=o', 'parameter "input" must not contain ",": a job\'s paths are plain paths, not lists or globs'],
    ];
    for (const [query, message] of cases) {
      const r = await http(`${server.url}/v1/jobs?${query}`, { method: 'POST' });
      expect({ query, status: r.status, error: (JSON.parse(r.text) as { error: string }).error }).toEqual({ query, status: 400, error: message });
    }
    const body = await postJson(`${server.url}/v1/jobs`, { model: 'models/sum', input: '/etc/passwd', output: 'o' });
    expect(body.status).toBe(400);
    expect(JSON.parse(body.text)).toEqual({ error: 'parameter "input" is an absolute path outside the job root; give it relative to the job root' });
    const inside = await postJson(`${server.url}/v1/jobs`, { model: join(root, 'models/sum'), input: join(root, 'in/a/one.jsonl'), output: 'abs' });
    expect(inside.status).toBe(202);
    expect(await finished(server, (JSON.parse(inside.text) as JobStatus).id)).toMatchObject({ state: 'succeeded' });
  });

  it('fails a job whose input directory holds a link leading out of the job root', async () => {
    await writeText(join(root, 'linked', 'ok.jsonl'), '{"a":1,"b":1}\n');
    await symlink(join(dir.path, 'outside', 'x.jsonl'), join(root, 'linked', 'zz.jsonl'));
    const { body } = await submit(server, { model: 'models/sum', input: 'linked', output: 'linked-out' });
    expect(await finished(server, body.id)).toMatchObject({
      state: 'failed',
      error: { code: 'INVALID_ARGUMENT', message: 'input file linked/zz.jsonl leads outside the job root through a symbolic link' },
    });
  });

  it('fails a job whose input directory holds a file with a list or glob character in its name, reading nothing else', async () => {
    await writeText(join(root, 'commas', 'x,', 'etc', 'a.jsonl'), '{"a":1,"b":1}\n');
    const { body } = await submit(server, { model: 'models/sum', input: 'commas', output: 'commas-out' });
    expect(await finished(server, body.id)).toMatchObject({
      state: 'failed',
      error: { code: 'INVALID_ARGUMENT', message: 'input file commas/x,/etc/a.jsonl has "," in its path, which a job cannot read as a plain path; rename it' },
      progress: { rows_read: 0 },
    });
  });

  it('fails a job whose model is missing, saying why', async () => {
    const { status, body } = await submit(server, { model: 'models/missing', input: 'in', output: 'never' });
    expect(status).toBe(202);
    expect(await finished(server, body.id)).toMatchObject({
      state: 'failed',
      error: { code: 'NOT_FOUND', message: 'model models/missing does not exist in the job root' },
      progress: { rows_read: 0 },
    });
  });

  it('runs two jobs at once, both to success', async () => {
    const first = await submit(server, { model: 'models/sum', input: 'in/a/one.jsonl', output: 'c1' });
    const second = await submit(server, { model: 'models/sum', input: 'in/a/one.jsonl', output: 'c2' });
    expect([first.body.state, second.body.state]).toEqual(['running', 'running']);
    const done = await Promise.all([finished(server, first.body.id), finished(server, second.body.id)]);
    expect(done.map((d) => d.state)).toEqual(['succeeded', 'succeeded']);
    expect(await read('c1/one.jsonl/prediction.results-00000-of-00001')).toBe(await read('c2/one.jsonl/prediction.results-00000-of-00001'));
  });

  it('queues a job that does not fit the memory budget until the running one is done', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `{"a":${i},"b":1}`);
    await writeText(join(root, 'big', 'rows.jsonl'), `${rows.join('\n')}\n`);
    const estimate = estimateJobBytes(modelBytes, 1);
    const small = await start({ memoryBudgetBytes: Math.floor(estimate * 1.5), maxConcurrentJobs: 2 });
    try {
      const first = await submit(small, { model: 'models/sum', input: 'big', output: 'q1', batch_size: '1' });
      const second = await submit(small, { model: 'models/sum', input: 'big', output: 'q2', batch_size: '1' });
      expect(first.body).toMatchObject({ state: 'running', memory_estimate_bytes: estimate });
      expect(second.body).toMatchObject({
        state: 'queued',
        waiting_for: `memory (needs an estimated ${estimate} bytes; ${estimate} of --job_memory_budget ${Math.floor(estimate * 1.5)} in use)`,
      });
      const done = await Promise.all([finished(small, first.body.id), finished(small, second.body.id)]);
      expect(done.map((d) => d.state)).toEqual(['succeeded', 'succeeded']);
      expect(Date.parse(done[1]!.started_at!)).toBeGreaterThanOrEqual(Date.parse(done[0]!.finished_at!));
      const over = await submit(small, { model: 'models/sum', input: 'big', output: 'q3', batch_size: '100000' });
      expect(await finished(small, over.body.id)).toMatchObject({ state: 'failed', error: { code: 'RESOURCE_EXHAUSTED' } });
    } finally {
      await small.close();
    }
  });

  it('refuses a job whose paths overlap what a queued or running job reads or writes, naming that job', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `{"a":${i},"b":1}`);
    await writeText(join(root, 'big2', 'rows.jsonl'), `${rows.join('\n')}\n`);
    const estimate = estimateJobBytes(modelBytes, 1);
    const small = await start({ memoryBudgetBytes: Math.floor(estimate * 1.5), maxConcurrentJobs: 2 });
    try {
      const running = await submit(small, { model: 'models/sum', input: 'big2', output: 'busy/out', batch_size: '1' });
      const queued = await submit(small, { model: 'models/sum', input: 'big2', output: 'later', batch_size: '1' });
      expect([running.body.state, queued.body.state]).toEqual(['running', 'queued']);
      const cases: Array<[Record<string, string>, string]> = [
        [{ input: 'in', output: 'busy/out' }, `parameter "output" (busy/out) overlaps the output of job ${running.body.id} (busy/out), which is running`],
        [{ input: 'in', output: 'busy' }, `parameter "output" (busy) overlaps the output of job ${running.body.id} (busy/out), which is running`],
        [{ input: 'in', output: 'big2/results' }, `parameter "output" (big2/results) overlaps the input of job ${running.body.id} (big2), which is running`],
        [{ input: 'busy/out', output: 'elsewhere' }, `parameter "input" (busy/out) overlaps the output of job ${running.body.id} (busy/out), which is running`],
        [{ input: 'in', output: 'later/x' }, `parameter "output" (later/x) overlaps the output of job ${queued.body.id} (later), which is queued`],
      ];
      for (const [params, message] of cases) {
        const r = await submit(small, { model: 'models/sum', ...params });
        expect({ params, status: r.status, error: r.body.error }).toEqual({
          params,
          status: 400,
          error: `${message}; submit it again once that job has finished, or choose another path`,
        });
      }
      const done = await Promise.all([finished(small, running.body.id), finished(small, queued.body.id)]);
      expect(done.map((d) => d.state)).toEqual(['succeeded', 'succeeded']);
      // Once they have finished, the same paths are free again.
      const again = await submit(small, { model: 'models/sum', input: 'in/a/one.jsonl', output: 'busy', batch_size: '1' });
      expect(again.status).toBe(202);
      expect((await finished(small, again.body.id)).state).toBe('succeeded');
    } finally {
      await small.close();
    }
  });

  it('refuses unknown parameters with 400, naming them, in the query and in the body', async () => {
    const r = await http(`${server.url}/v1/jobs?model=models/sum&input=in&output=o&keyfield=id&bogus=1`, { method: 'POST' });
    expect({ status: r.status, body: JSON.parse(r.text) }).toEqual({
      status: 400,
      body: {
        error:
          'unknown parameters "keyfield", "bogus"; a job takes model, input, output, model_name, key_field, instance_type, format, included_fields, excluded_fields, batch_size',
      },
    });
    const b = await postJson(`${server.url}/v1/jobs`, { model: 'models/sum', input: 'in', output: 'o', batchsize: 4 });
    expect({ status: b.status, body: JSON.parse(b.text) }).toEqual({
      status: 400,
      body: { error: 'unknown parameter "batchsize"; a job takes model, input, output, model_name, key_field, instance_type, format, included_fields, excluded_fields, batch_size' },
    });
    const bad: Array<[Record<string, string>, string]> = [
      [{ instance_type: 'list' }, 'parameter "instance_type" must be object or array, got "list"'],
      [{ included_fields: 'a', excluded_fields: 'b' }, 'set parameter "included_fields" or "excluded_fields", not both'],
      [{ key_field: 'a', included_fields: 'a,b' }, 'parameter "key_field" a is passed through, so it cannot be one of "included_fields"'],
      [{ format: 'xml' }, 'parameter "format": unknown input format "xml"; expected one of csv, tsv, jsonl, parquet, tfrecord'],
    ];
    for (const [params, message] of bad) {
      const { status, body } = await submit(server, { model: 'models/sum', input: 'in', output: 'o', ...params });
      expect({ params, status, body }).toEqual({ params, status: 400, body: { error: message } });
    }
  });

  it('shapes instances with key_field, included_fields, excluded_fields, instance_type and format, from the query or the body', async () => {
    await writeText(join(root, 'csv', 'rows.txt'), 'id,a,b,note\nr1,1,2,x\nr2,3,0.5,y\n');
    const { body } = await submit(server, { model: 'models/sum', input: 'csv', output: 'shaped-q', format: 'csv', key_field: 'id', excluded_fields: 'note', instance_type: 'object' });
    expect(await finished(server, body.id)).toMatchObject({ state: 'succeeded', progress: { rows_read: 2, rows_predicted: 2, rows_failed: 0 } });
    const expected = '{"key":"r1","instance":{"a":1,"b":2},"prediction":4.0}\n{"key":"r2","instance":{"a":3,"b":0.5},"prediction":6.5}\n';
    expect(await read('shaped-q/rows.txt/prediction.results-00000-of-00001')).toBe(expected);
    const r = await postJson(`${server.url}/v1/jobs`, { model: 'models/sum', input: 'csv', output: 'shaped-b', format: 'csv', key_field: 'id', included_fields: ['a', 'b'], batch_size: 1 });
    expect(await finished(server, (JSON.parse(r.text) as JobStatus).id)).toMatchObject({ state: 'succeeded' });
    expect(await read('shaped-b/rows.txt/prediction.results-00000-of-00001')).toBe(expected);
    const array = await submit(server, { model: 'models/sum', input: 'csv', output: 'shaped-a', format: 'csv', key_field: 'id', included_fields: 'a,b', instance_type: 'array' });
    expect(await finished(server, array.body.id)).toMatchObject({
      state: 'failed',
      error: { code: 'INVALID_ARGUMENT', message: 'parameter "instance_type" array feeds one input, but signature serving_default has 2 (a, b); use object' },
    });
  });

  it('fails a job whose every row failed, counting them, and a rerun over its output still fails', async () => {
    await writeText(join(root, 'allbad', 'rows.jsonl'), Array.from({ length: 9 }, (_, i) => `{"a":"v${i}","b":1}`).join('\n'));
    const { body } = await submit(server, { model: 'models/sum', input: 'allbad', output: 'allbad-out' });
    expect(await finished(server, body.id)).toMatchObject({
      state: 'failed',
      progress: { rows_read: 9, rows_predicted: 0, rows_failed: 9 },
      error: { code: 'INVALID_ARGUMENT', message: "9 of 9 rows failed; see prediction.errors-* under allbad-out for each row's error" },
    });
    const again = await submit(server, { model: 'models/sum', input: 'allbad', output: 'allbad-out' });
    expect(await finished(server, again.body.id)).toMatchObject({
      state: 'failed',
      progress: { rows_read: 0, rows_failed: 0 },
      error: { code: 'INVALID_ARGUMENT', message: "9 rows failed (9 in shards an earlier job committed); see prediction.errors-* under allbad-out for each row's error" },
    });
  });

  it('refuses an output that overlaps the input or lies in the model directory with 400', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ input: 'in', output: 'in' }, 'parameters "input" and "output" both name in; give the output a directory of its own'],
      [{ input: 'in', output: 'in/out' }, 'parameter "output" (in/out) is inside the input (in); give the output a directory outside it'],
      [{ input: 'in/a', output: 'in' }, 'parameter "input" (in/a) is inside the output (in); give the output a directory that does not hold the input'],
      [{ input: 'in', output: '.' }, 'parameter "input" (in) is inside the output (.); give the output a directory that does not hold the input'],
      [{ input: 'in', output: 'models/sum/out' }, 'parameter "output" (models/sum/out) is inside the model directory (models/sum); give the output a directory outside it'],
      [{ input: 'in', output: 'models' }, 'parameter "model" (models/sum) is inside the output (models); give the output a directory that does not hold the model'],
    ];
    for (const [params, message] of cases) {
      const { status, body } = await submit(server, { model: 'models/sum', ...params });
      expect({ params, status, body }).toEqual({ params, status: 400, body: { error: message } });
    }
  });

  it('names files relative to the job root in a failed job\'s error', async () => {
    await writeText(join(root, 'odd', 'rows.txt'), '{"a":1,"b":1}\n');
    const { body } = await submit(server, { model: 'models/sum', input: 'odd/rows.txt', output: 'odd-out' });
    const done = await finished(server, body.id);
    expect(done).toMatchObject({
      state: 'failed',
      error: { code: 'INVALID_ARGUMENT', message: 'cannot tell the format of odd/rows.txt from its name; pass --format (csv, tsv, jsonl, parquet, tfrecord)' },
    });
    expect(JSON.stringify(done)).not.toContain(root);
  });
});

describe('the model cache of on-demand jobs', () => {
  it('loads a model once while its files stay the same, and again when they are touched or replaced', async () => {
    const jobRoot = await JobRoot.open(root);
    const path = await writeModel(join(root, 'cache'), 'm', weightedSumModel());
    const file = join(path, '1', 'model.onnx');
    const cache = new JobModelCache(4);
    try {
      const first = await cache.acquire(path, undefined, await modelFootprint(path, jobRoot));
      const second = await cache.acquire(path, undefined, await modelFootprint(path, jobRoot));
      expect(second.model).toBe(first.model);
      expect(cache.size).toBe(1);
      await first.release();
      await second.release();
      const third = await cache.acquire(path, undefined, await modelFootprint(path, jobRoot));
      expect(third.model).toBe(first.model);
      await third.release();

      // The same bytes, a newer modification time: loaded anew, the idle old copy closed.
      const later = new Date(Date.now() + 10_000);
      await utimes(file, later, later);
      const touched = await cache.acquire(path, undefined, await modelFootprint(path, jobRoot));
      expect(touched.model).not.toBe(first.model);
      expect(cache.size).toBe(1);
      await touched.release();

      // Another model in its place: its signature is what the next job gets.
      await writeFile(file, halfPlusTwoModel());
      const latest = new Date(Date.now() + 20_000);
      await utimes(file, latest, latest);
      const replaced = await cache.acquire(path, undefined, await modelFootprint(path, jobRoot));
      expect(replaced.model).not.toBe(touched.model);
      expect([...replaced.model.signatures.get('serving_default')!.inputs.keys()]).toEqual(['x']);
      expect([...touched.model.signatures.get('serving_default')!.inputs.keys()]).toEqual(['a', 'b']);
      await replaced.release();
      expect(cache.size).toBe(1);
    } finally {
      await cache.close();
    }
  });
});
