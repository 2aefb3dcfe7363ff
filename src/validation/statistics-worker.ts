/**
 * A worker thread of `stats` (see statistics-workers.ts): computes the units it is handed, one at a time, with
 * its own Parquet reader, and sends each unit's statistics back as sketch state.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toServingError } from '../errors/serving-error.js';
import { ParquetColumnSource } from './readers/parquet-column-batches.js';
import { accumulateUnit, type UnitSettings } from './statistics-units.js';
import type { FromStatisticsWorker, ToStatisticsWorker } from './statistics-workers.js';

const port = parentPort;
if (port === null) throw new Error('statistics-worker.js runs as a worker thread of millrace stats');
const post = (message: FromStatisticsWorker): void => port.postMessage(message);

// Rows are reported about this often, so progress lines stay current without a message per batch.
const REPORT_ROWS = 100_000;

async function main(settings: UnitSettings): Promise<void> {
  let source: Promise<ParquetColumnSource> | undefined;
  // One DuckDB thread per worker: the workers are the parallelism.
  const parquet = (): Promise<ParquetColumnSource> => (source ??= ParquetColumnSource.open(1));
  let unreported = 0;
  const onRows = (rows: number): void => {
    unreported += rows;
    if (unreported >= REPORT_ROWS) {
      post({ type: 'rows', rows: unreported });
      unreported = 0;
    }
  };
  const messages: ToStatisticsWorker[] = [];
  let wake: (() => void) | undefined;
  port!.on('message', (message: ToStatisticsWorker) => {
    messages.push(message);
    wake?.();
  });
  post({ type: 'ready' });
  try {
    for (;;) {
      while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const message = messages.shift() as ToStatisticsWorker;
      if (message.type === 'stop') break;
      try {
        const accumulator = await accumulateUnit(message.unit, settings, parquet, onRows);
        if (unreported > 0) post({ type: 'rows', rows: unreported });
        unreported = 0;
        post({ type: 'done', index: message.unit.index, state: accumulator.toState() });
      } catch (err) {
        const error = toServingError(err);
        post({ type: 'failed', code: error.code, message: error.message });
      }
    }
  } finally {
    if (source !== undefined) (await source).close();
    port!.close();
  }
}

void main(workerData as UnitSettings);
