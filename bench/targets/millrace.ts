import { startMillrace } from './millrace-process.js';
import type { Target } from './target.js';

const NAME = 'millrace';

/** The real server without batching: one model run per request. */
export const millrace: Target = {
  name: NAME,
  description: 'millrace serve (dist/cli/main.js), batching off',
  computesModel: true,
  async start(repository, settings) {
    const { predictUrl, server } = await startMillrace(NAME, repository, [`--tensorflow_intra_op_parallelism=${settings.intraOpThreads}`]);
    return { predictUrl, pid: server.pid, stop: () => server.stop() };
  },
};
