import { describe, expect, it } from 'vitest';
import { statsSnapshot } from '../api/rest/monitoring-routes.js';
import { ServingMetrics } from './serving-metrics.js';

/** A server's metrics with these request latencies (µs) observed for model m, version 1. */
function withLatencies(micros: readonly number[]): ServingMetrics {
  const metrics = new ServingMetrics({ processMetrics: false });
  for (const v of micros) metrics.countSuccess('m', 1, 'predict', 'REST', v);
  return metrics;
}

async function requestLatency(micros: readonly number[]): Promise<unknown> {
  const snapshot = (await statsSnapshot({ metrics: withLatencies(micros), batching: undefined })) as { models: Array<{ request_latency_us: unknown }> };
  return snapshot.models[0]?.request_latency_us;
}

describe('/v1/stats latency summaries', () => {
  it('reports a single observation as itself, not as a point inside its 1.8x-wide bucket', async () => {
    // The bucket (6426.84, 11568.31] alone would give p50 8997.58 and p99 11516.9.
    expect(await requestLatency([7132])).toEqual({ count: 1, mean: 7132, min: 7132, max: 7132, p50: 7132, p99: 7132 });
  });

  it('interpolates inside buckets narrowed to the smallest and largest observation', async () => {
    // Buckets 10 × 1.8^i: 100 in (58.32, 104.98], 200 and 300 in (188.96, 340.12], 400 in (340.12, 612.22],
    // 7132 in (6426.84, 11568.31]. p50 (rank 2.5) is 3/4 of the way through (188.96, 340.12]: 302.33.
    // p99 (rank 4.95) is 0.95 of the way through (6426.84, 7132], the bucket cut at the largest observation.
    expect(await requestLatency([100, 200, 300, 400, 7132])).toEqual({ count: 5, mean: 1626.4, min: 100, max: 7132, p50: 302.33, p99: 7096.74 });
  });

  it('never reports a quantile outside [min, max]', async () => {
    const values = [12, 13, 14, 15, 16];
    const summary = (await requestLatency(values)) as { p50: number; p99: number };
    // All in (10, 18]: the bucket narrows to [12, 16].
    expect(summary).toEqual({ count: 5, mean: 14, min: 12, max: 16, p50: 14, p99: 15.96 });
  });
});
