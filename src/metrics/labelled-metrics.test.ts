import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelledCounter, LabelledHistogram } from './labelled-metrics.js';

/** The same observations through prom-client's classes and ours, in two registries. */
function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const config = { name: 'requests', help: 'Requests.', labelNames: ['model', 'status'] as const };
  const hist = { name: 'latency', help: 'Latency.', labelNames: ['model', 'version', 'api'] as const, buckets: [10, 18, 32.4, 100] };
  return {
    theirs,
    ours,
    counters: [new Counter({ ...config, labelNames: [...config.labelNames], registers: [theirs] }), new LabelledCounter({ ...config, registers: [ours] })],
    histograms: [new Histogram({ ...hist, labelNames: [...hist.labelNames], registers: [theirs] }), new LabelledHistogram({ ...hist, registers: [ours] })],
  } as const;
}

describe('labelled metrics', () => {
  it("print the same Prometheus text and JSON as prom-client's counters and histograms", async () => {
    const m = both();
    for (const counter of m.counters) {
      counter.labels({ model: 'a', status: 'OK' }).inc();
      counter.labels({ model: 'a', status: 'OK' }).inc(2);
      counter.inc({ model: 'b', status: 'NOT_FOUND' });
    }
    for (const histogram of m.histograms) {
      const child = histogram.labels({ model: 'a', version: '1', api: 'predict' });
      for (const v of [0, 10, 10.5, 18, 32.4, 50, 100, 1000]) child.observe(v);
      // An absent label is left out of the series, as prom-client does.
      histogram.observe({ model: 'b', version: '2' }, 17);
    }
    const text = await m.ours.metrics();
    expect(text).toBe(await m.theirs.metrics());
    expect(text).toContain('requests{model="a",status="OK"} 3');
    expect(text).toContain('latency_bucket{le="32.4",model="a",version="1",api="predict"} 5');
    expect(text).toContain('latency_bucket{le="+Inf",model="a",version="1",api="predict"} 8');
    expect(text).toContain('latency_sum{model="a",version="1",api="predict"} 1220.9');
    expect(text).toContain('latency_count{model="b",version="2"} 1');
    const strip = (metrics: Array<{ values: unknown[] }>) => JSON.parse(JSON.stringify(metrics, (k, v: unknown) => (k === 'exemplar' ? undefined : v))) as unknown;
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
    expect(sortKeys(strip(await m.ours.getMetricsAsJSON()))).toEqual(sortKeys(strip(await m.theirs.getMetricsAsJSON())));
  });

  it('show a bound series only once it has been used', async () => {
    const registry = new Registry();
    const histogram = new LabelledHistogram({ name: 'h', help: 'H.', labelNames: ['q'], buckets: [1], registers: [registry] });
    const counter = new LabelledCounter({ name: 'c', help: 'C.', labelNames: ['q'], registers: [registry] });
    const child = histogram.labels({ q: 'x' });
    const count = counter.labels({ q: 'x' });
    expect(await registry.metrics()).toBe('# HELP h H.\n# TYPE h histogram\n\n# HELP c C.\n# TYPE c counter\n');
    child.observe(2);
    count.inc();
    expect(await registry.metrics()).toBe(
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1",q="x"} 0\nh_bucket{le="+Inf",q="x"} 1\nh_sum{q="x"} 2\nh_count{q="x"} 1\n\n# HELP c C.\n# TYPE c counter\nc{q="x"} 1\n',
    );
  });

  it("export a zeroed series without labels as prom-client's histogram does before its first observation, and after", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const config = { name: 'e2e', help: 'E2E.', buckets: [0.001, 0.02, 1] };
    const reference = new Histogram({ ...config, registers: [theirs] });
    const histogram = new LabelledHistogram({ ...config, labelNames: [], registers: [ours] });
    histogram.zero({});
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toBe('# HELP e2e E2E.\n# TYPE e2e histogram\ne2e_bucket{le="0.001"} 0\ne2e_bucket{le="0.02"} 0\ne2e_bucket{le="1"} 0\ne2e_bucket{le="+Inf"} 0\ne2e_sum 0\ne2e_count 0\n');
    const child = histogram.labels({});
    for (const v of [0, 0.005, 0.02, 3]) {
      child.observe(v);
      reference.observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('e2e_bucket{le="0.02"} 3\ne2e_bucket{le="1"} 3\ne2e_bucket{le="+Inf"} 4\ne2e_sum 3.025\ne2e_count 4\n');
  });

  it('refuse a value that is not a finite number, as prom-client does', () => {
    const histogram = new LabelledHistogram({ name: 'h', help: 'H.', labelNames: ['q'], buckets: [1], registers: [] });
    expect(() => histogram.observe({ q: 'x' }, Number.NaN)).toThrow('Value is not a valid number: NaN');
  });
});
