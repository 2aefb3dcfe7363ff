// Counters and histograms for the serving hot path. prom-client's own classes re-validate the labels, build
// a hash string and turn the bucket bound into a property name on every observation (≈1 µs each, several per
// request); these keep one record per label set, reached through a child bound once, and record with a few
// arithmetic operations. They register with a prom-client Registry like its own metrics, so the Prometheus
// text and getMetricsAsJSON() are the same as before, line for line.

import type { Registry } from 'prom-client';

type LabelValues = Readonly<Record<string, string | number | undefined>>;

interface MetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

/** One exported line as prom-client's Registry reads it: `labels` print first, then `sharedLabels`. */
interface ExportedValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: Record<string, string | number>;
  readonly metricName?: string;
}

interface ExportedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: ExportedValue[];
}

/** Label values in label-name order, without the absent ones (prom-client leaves those out of the output). */
function presentLabels<L extends string>(names: readonly L[], labels: LabelValues): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const name of names) {
    const value = labels[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function seriesKey<L extends string>(names: readonly L[], labels: LabelValues): string {
  let key = '';
  for (const name of names) key += `${labels[name] ?? ''}\u0000`;
  return key;
}

/** A labelled record store shared by both metric kinds: label set → record, created on first use. */
abstract class LabelledMetric<L extends string, R> {
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, { readonly labels: Record<string, string | number>; readonly record: R }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly L[],
    registers: readonly Registry[],
  ) {
    // The Registry only needs name, type, aggregator and get()/getForPromString() of what it registers.
    for (const registry of registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** Creates the series of these label values now, so that it is exported (at zero) before its first use, as prom-client does for a metric without labels. */
  zero(labels: Partial<Record<L, string | number>>): void {
    this.recordOf(labels);
  }

  protected recordOf(labels: LabelValues): R {
    const key = seriesKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { labels: presentLabels(this.labelNames, labels), record: this.newRecord() };
      this.series.set(key, entry);
    }
    return entry.record;
  }

  protected abstract newRecord(): R;
}

interface CounterRecord {
  value: number;
}

export interface CounterChild {
  inc(value?: number): void;
}

export class LabelledCounter<L extends string = string> extends LabelledMetric<L, CounterRecord> {
  readonly type = 'counter' as const;

  constructor(config: MetricConfig<L>) {
    super(config.name, config.help, config.labelNames, config.registers);
  }

  /** The series of these label values, to increment without looking it up again; it appears on first use. */
  labels(labels: Partial<Record<L, string | number>>): CounterChild {
    let record: CounterRecord | undefined;
    return {
      inc: (value = 1) => {
        (record ??= this.recordOf(labels)).value += value;
      },
    };
  }

  inc(labels: Partial<Record<L, string | number>>, value = 1): void {
    this.recordOf(labels).value += value;
  }

  protected newRecord(): CounterRecord {
    return { value: 0 };
  }

  async get(): Promise<ExportedMetric> {
    return this.getForPromString();
  }

  async getForPromString(): Promise<ExportedMetric> {
    const values: ExportedValue[] = [];
    for (const { labels, record } of this.series.values()) values.push({ value: record.value, labels: { ...labels } });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

interface HistogramRecord {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
  /** Smallest and largest observation, so estimates read from buckets can be kept within what was seen. */
  min: number;
  max: number;
}

/** One series of a histogram as it stands: per-bucket counts (the last past every bound), sum, count, min and max. */
export interface HistogramSeries {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly bounds: Float64Array;
  readonly counts: Float64Array;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

export interface HistogramChild {
  observe(value: number): void;
}

export class LabelledHistogram<L extends string = string> extends LabelledMetric<L, HistogramRecord> {
  readonly type = 'histogram' as const;
  private readonly bounds: Float64Array;

  constructor(config: MetricConfig<L> & { readonly buckets: readonly number[] }) {
    super(config.name, config.help, config.labelNames, config.registers);
    this.bounds = Float64Array.from([...config.buckets].sort((a, b) => a - b));
  }

  /** The series of these label values, to observe without looking it up again; it appears on first use. */
  labels(labels: Partial<Record<L, string | number>>): HistogramChild {
    let record: HistogramRecord | undefined;
    return { observe: (value) => this.add((record ??= this.recordOf(labels)), value) };
  }

  observe(labels: Partial<Record<L, string | number>>, value: number): void {
    this.add(this.recordOf(labels), value);
  }

  protected newRecord(): HistogramRecord {
    return { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0, min: Infinity, max: -Infinity };
  }

  private add(record: HistogramRecord, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    // The first bound ≥ value (prom-client's `value <= bound`), by binary search.
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= bounds[mid]!) hi = mid;
      else lo = mid + 1;
    }
    record.counts[lo]!++;
    record.sum += value;
    record.count++;
    if (value < record.min) record.min = value;
    if (value > record.max) record.max = value;
  }

  /** Every series with at least one observation, copied. */
  seriesSnapshot(): HistogramSeries[] {
    const out: HistogramSeries[] = [];
    for (const { labels, record } of this.series.values()) {
      if (record.count === 0) continue;
      out.push({ labels: { ...labels }, bounds: this.bounds, counts: record.counts.slice(), sum: record.sum, count: record.count, min: record.min, max: record.max });
    }
    return out;
  }

  /** prom-client's layout: `le` in `labels`, the series' labels in `sharedLabels` (printed after `le`). */
  async getForPromString(): Promise<ExportedMetric> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, record } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += record.counts[i]!;
        values.push({ value: cumulative, labels: { le: this.bounds[i]! }, sharedLabels: labels, metricName: bucketName });
      }
      values.push({ value: record.count, labels: { le: '+Inf' }, sharedLabels: labels, metricName: bucketName });
      values.push({ value: record.sum, labels: {}, sharedLabels: labels, metricName: `${this.name}_sum` });
      values.push({ value: record.count, labels: {}, sharedLabels: labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** As prom-client's get(): each value's shared labels folded into its own labels. */
  async get(): Promise<ExportedMetric> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map((v) => ({ value: v.value, labels: { ...v.labels, ...v.sharedLabels }, ...(v.metricName === undefined ? {} : { metricName: v.metricName }) })),
    };
  }
}
