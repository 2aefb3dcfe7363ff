import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/free-port.js';
import { answersHttp, startChildServer } from './child-server.js';
import type { Target } from './target.js';

/** The HTTP-layer ceiling: what node:http alone can do on this machine with these request bodies. */
export const bareHttp: Target = {
  name: 'bare-http',
  description: 'plain node:http answering a fixed {"predictions": [[0.5]]} to every request',
  computesModel: false,
  async start() {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const server = await startChildServer({
      name: 'bare-http',
      args: [fileURLToPath(new URL('./bare-http-server.js', import.meta.url)), String(port)],
      isReady: () => answersHttp(url),
    });
    return { predictUrl: url, pid: server.pid, stop: () => server.stop() };
  },
};
