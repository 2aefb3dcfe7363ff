import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/free-port.js';
import { answersHttp, startChildServer } from './child-server.js';
import type { Target } from './target.js';

/** The do-it-yourself baseline: one session.run per request, no batching, default session options. */
export const naiveOrt: Target = {
  name: 'naive-ort',
  description: 'node:http + onnxruntime-node, JSON.parse → session.run → JSON.stringify per request',
  computesModel: true,
  async start(repository) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const server = await startChildServer({
      name: 'naive-ort',
      args: [fileURLToPath(new URL('./naive-ort-server.js', import.meta.url)), repository.modelFile, String(port)],
      isReady: () => answersHttp(url),
    });
    return { predictUrl: url, pid: server.pid, stop: () => server.stop() };
  },
};
