// The server's own count of answered and failed calls, read before and after a load: the only way to see gRPC
// errors from a generator that sees HTTP statuses only, and a second check on REST ones.
import { MODEL_NAME } from '../mlp-fixture.js';

export interface ServedCounts {
  /** Predictions answered, from the Open Inference Protocol statistics (every protocol counts there). */
  readonly succeeded: number;
  /** Predictions that failed after reaching the model (statistics `fail`). */
  readonly failed: number;
  /** TF Serving `request_count` by status other than OK, summed over entrypoints: also counts calls refused before the model. */
  readonly notOk: Readonly<Record<string, number>>;
}

interface ModelStats {
  readonly inference_stats?: { readonly success?: { readonly count?: number }; readonly fail?: { readonly count?: number } };
}

const REQUEST_COUNT = ':tensorflow:serving:request_count{';

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
  return body;
}

export async function readServedCounts(restBaseUrl: string, metricsUrl: string): Promise<ServedCounts> {
  const [stats, metrics] = await Promise.all([text(`${restBaseUrl}/v2/models/${MODEL_NAME}/stats`), text(metricsUrl)]);
  const models = (JSON.parse(stats) as { model_stats?: ModelStats[] }).model_stats ?? [];
  let succeeded = 0;
  let failed = 0;
  for (const model of models) {
    succeeded += model.inference_stats?.success?.count ?? 0;
    failed += model.inference_stats?.fail?.count ?? 0;
  }
  const notOk: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const status = /status="([A-Z_]+)"/.exec(line)?.[1];
    if (!line.startsWith(REQUEST_COUNT) || status === undefined || status === 'OK') continue;
    notOk[status] = (notOk[status] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { succeeded, failed, notOk };
}

export function sameCounts(a: ServedCounts, b: ServedCounts): boolean {
  return a.succeeded === b.succeeded && a.failed === b.failed && JSON.stringify(a.notOk) === JSON.stringify(b.notOk);
}

/** Answers and failures the server counted between two readings. */
export interface ServedDelta {
  readonly succeeded: number;
  readonly failed: number;
  readonly notOk: Readonly<Record<string, number>>;
}

export function servedDelta(before: ServedCounts, after: ServedCounts): ServedDelta {
  const notOk: Record<string, number> = {};
  for (const [status, n] of Object.entries(after.notOk)) {
    const d = n - (before.notOk[status] ?? 0);
    if (d > 0) notOk[status] = d;
  }
  return { succeeded: after.succeeded - before.succeeded, failed: after.failed - before.failed, notOk };
}

/**
 * Why the server's counts show a failed call, or undefined. `answered` is what the generator saw; `abandonable`
 * is how many calls the generator may drop unanswered when it stops (wrk closes its connections mid-call, and the
 * server then counts them CANCELLED); h2load runs a fixed number of calls to the end and abandons none.
 */
export function servedProblem(d: ServedDelta, answered: number, abandonable: number): string | undefined {
  const cancelled = d.notOk.CANCELLED ?? 0;
  const otherStatuses = Object.entries(d.notOk).filter(([status]) => status !== 'CANCELLED');
  const counts = `${d.succeeded} successes, ${d.failed} failed predictions${Object.keys(d.notOk).length === 0 ? '' : `, request_count ${Object.entries(d.notOk).map(([s, n]) => `${s} ${n}`).join(', ')}`}`;
  if (otherStatuses.length > 0 || d.failed > abandonable || cancelled > abandonable) return `the server counted ${counts}`;
  // Abandoned calls may still succeed on the server after the generator stopped: a few more successes than answers.
  if (d.succeeded < answered || d.succeeded > answered + abandonable) return `the generator saw ${answered} answers, the server counted ${counts}`;
  return undefined;
}
