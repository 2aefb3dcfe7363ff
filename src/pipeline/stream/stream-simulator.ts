/**
 * `millrace simulate`: publishes the rows of a file (JSON lines, CSV, Parquet; anything batch prediction reads)
 * as stream messages, one JSON instance each, at a fixed rate. Rows are shaped as batch prediction shapes them
 * (--included_fields, --excluded_fields, --instance_type); rows that cannot be read or shaped are skipped and
 * counted. When `count` is more than the input holds, the input is read again from the start.
 *
 * The rate is kept by schedule, not by sleeping between messages: message i is due at start + i / rate, and
 * every due message goes out in one pipelined publish (at most `maxBatch`), so a slow publish is caught up
 * instead of lowering the rate. Publishes are at least `MIN_TICK_MS` apart, so a high rate costs a few hundred
 * publish calls a second rather than one per message. The instances of an input of up to `CACHE_ROWS` rows are
 * kept after the first pass, so repeating it costs nothing but the publishing.
 */
import { ServingError } from '../../errors/serving-error.js';
import { instanceJson } from '../instance-json.js';
import { InstanceShaper, type ShapingOptions } from '../instance-shaper.js';
import { UnitReader } from '../unit-reader.js';
import { planWork } from '../work-plan.js';
import { sleep } from './retry-policy.js';
import type { StreamPublisher } from './stream-publisher.js';

export interface SimulateOptions {
  readonly input: string;
  /** `--format`, or '' to tell by extension. */
  readonly format: string;
  readonly shaping: Omit<ShapingOptions, 'keyField'>;
  readonly publisher: StreamPublisher;
  /** Messages per second; 0 publishes as fast as the target takes them. */
  readonly rate: number;
  /** Messages to publish; 0 publishes the input once. */
  readonly count: number;
  /** Most messages in one publish call. */
  readonly maxBatch: number;
  readonly signal?: AbortSignal | undefined;
  /** Called after each publish with the messages published so far. */
  readonly onProgress?: ((published: number) => void) | undefined;
}

export interface SimulateSummary {
  readonly published: number;
  /** Input rows skipped because they could not be read or shaped (counted once per pass over the input). */
  readonly skipped: number;
  readonly elapsedMs: number;
}

const MIN_TICK_MS = 5;
const CACHE_ROWS = 1_000_000;

export async function simulateStream(options: SimulateOptions): Promise<SimulateSummary> {
  if (!(options.rate >= 0)) throw new ServingError('INVALID_ARGUMENT', `rate must not be negative, got ${options.rate}`);
  const counts = { skipped: 0 };
  const bodies = instanceBodies(options, counts);
  const started = performance.now();
  let published = 0;
  let done = false;
  while (!done && options.signal?.aborted !== true) {
    const elapsed = performance.now() - started;
    const due = options.rate > 0 ? Math.floor((elapsed * options.rate) / 1000) + 1 - published : options.maxBatch;
    if (due <= 0) {
      await sleep(Math.max(MIN_TICK_MS, (published * 1000) / options.rate - elapsed), options.signal);
      continue;
    }
    const batch: string[] = [];
    while (batch.length < Math.min(due, options.maxBatch)) {
      const next = await bodies.next();
      if (next.done === true) {
        done = true;
        break;
      }
      batch.push(next.value);
    }
    await options.publisher.publish(batch);
    published += batch.length;
    options.onProgress?.(published);
  }
  await bodies.return();
  return { published, skipped: counts.skipped, elapsedMs: performance.now() - started };
}

/** The instances as JSON text, repeating the input until `count` are out; counts skipped rows (first pass). */
async function* instanceBodies(options: SimulateOptions, counts: { skipped: number }): AsyncGenerator<string, void, undefined> {
  const plan = await planWork({ input: options.input, format: options.format, recordsPerUnit: 1_000_000, numOutputShards: 0 });
  const shaper = new InstanceShaper(options.shaping);
  const reader = new UnitReader();
  let cache: string[] | undefined = [];
  let sent = 0;
  for (let pass = 1; ; pass++) {
    let usable = 0;
    if (pass > 1 && cache !== undefined) {
      for (const body of cache) {
        usable++;
        yield body;
        if (++sent === options.count) return;
      }
    } else {
      for (const unit of plan.units) {
        for await (const record of reader.read(unit)) {
          const shaped = record.kind === 'unreadable' ? undefined : shaper.shape(record);
          if (shaped === undefined || 'error' in shaped) {
            if (pass === 1) counts.skipped++;
            continue;
          }
          usable++;
          const body = instanceJson(shaped.shaped.instance);
          if (cache !== undefined) cache = cache.length < CACHE_ROWS ? (cache.push(body), cache) : undefined;
          yield body;
          if (++sent === options.count) return;
        }
      }
    }
    if (usable === 0) throw new ServingError('INVALID_ARGUMENT', `${options.input} has no row that makes an instance (${counts.skipped} rows skipped)`);
    if (options.count === 0) return;
  }
}
