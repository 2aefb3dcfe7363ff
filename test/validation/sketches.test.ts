import { describe, expect, it } from 'vitest';
import { KllSketch, QuantileSummary } from '../../src/validation/sketches/kll-sketch.js';
import { hash53, KmvSketch } from '../../src/validation/sketches/kmv-sketch.js';
import { compareCodePoints, MisraGries } from '../../src/validation/sketches/misra-gries.js';

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('KllSketch', () => {
  it('is exact while it holds fewer than k items', () => {
    const sketch = new KllSketch(200);
    [5, 1, 4, 2, 3].forEach((v) => sketch.add(v));
    const summary = QuantileSummary.of(sketch);
    expect(summary.quantile(0)).toBe(1);
    expect(summary.quantile(0.5)).toBe(3);
    expect(summary.quantile(0.25)).toBe(2);
    expect(summary.quantile(0.1)).toBeCloseTo(1.4, 12);
    expect(summary.quantile(1)).toBe(5);
    expect(summary.totalWeight).toBe(5);
  });

  it('keeps the rank error within 2% on 100 000 values, keeps the total weight, and stays small', () => {
    const sketch = new KllSketch(200);
    const next = random(7);
    for (let i = 0; i < 100_000; i++) sketch.add(next());
    const summary = QuantileSummary.of(sketch);
    expect(summary.totalWeight).toBe(100_000);
    expect(summary.values.length).toBeLessThan(1000);
    // Uniform [0,1): the q-quantile is q.
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) expect(Math.abs(summary.quantile(q) - q)).toBeLessThan(0.02);
  });

  it('adds a run of values exactly as one by one, and n copies of a value exactly', () => {
    const one = new KllSketch(200);
    const run = new KllSketch(200);
    const next = random(11);
    const values = Float64Array.from({ length: 50_000 }, () => Math.floor(next() * 1000));
    values.forEach((v) => one.add(v));
    for (let i = 0; i < values.length; i += 2048) run.addAll(values.subarray(i, i + 2048), Math.min(2048, values.length - i));
    expect(run.toState()).toEqual(one.toState());
    const repeated = new KllSketch(200);
    repeated.addRepeated(3, 1_000_003);
    repeated.addRepeated(4, 5);
    const summary = QuantileSummary.of(repeated);
    expect(summary.totalWeight).toBe(1_000_008);
    expect([summary.quantile(0), summary.quantile(0.5), summary.quantile(1)]).toEqual([3, 3, 4]);
    // One item per set bit of the count: 1 000 003 has 9, 5 has 2.
    expect(summary.values.length).toBe(11);
  });

  it('merges two sketches into one over both inputs and survives a state round trip', () => {
    const a = new KllSketch(200);
    const b = new KllSketch(200);
    for (let i = 0; i < 5000; i++) a.add(i);
    for (let i = 5000; i < 10_000; i++) b.add(i);
    a.merge(b);
    const summary = QuantileSummary.of(KllSketch.fromState(JSON.parse(JSON.stringify(a.toState()))));
    expect(summary.totalWeight).toBe(10_000);
    expect(Math.abs(summary.quantile(0.5) - 5000)).toBeLessThan(200);
  });
});

describe('MisraGries', () => {
  it('counts exactly while the distinct values fit and orders ties by the larger value first', () => {
    const sketch = new MisraGries(10);
    for (const v of ['a', 'b', 'b', 'c', 'c', 'd']) sketch.add(v);
    expect(sketch.entries()).toEqual([
      ['c', 2],
      ['b', 2],
      ['d', 1],
      ['a', 1],
    ]);
  });

  it('never overestimates and undercounts by at most n/(k+1)', () => {
    const sketch = new MisraGries(4);
    const stream: string[] = [];
    for (let i = 0; i < 50; i++) stream.push('hot');
    for (let i = 0; i < 50; i++) stream.push(`cold${i}`);
    const next = random(3);
    stream.sort(() => next() - 0.5).forEach((v) => sketch.add(v));
    const hot = sketch.entries().find(([v]) => v === 'hot')?.[1] ?? 0;
    expect(hot).toBeLessThanOrEqual(50);
    expect(hot).toBeGreaterThanOrEqual(50 - 100 / 5);
  });

  it('orders strings by code point (UTF-8 byte order), not UTF-16 units', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
  });
});

describe('KmvSketch', () => {
  it('counts distinct values exactly below its slot count and merges by union', () => {
    const a = new KmvSketch(1024);
    const b = new KmvSketch(1024);
    for (let i = 0; i < 300; i++) a.add(`v${i}`);
    for (let i = 200; i < 500; i++) b.add(`v${i}`);
    a.merge(b);
    expect(a.estimate()).toBe(500);
  });

  it('estimates 100 000 distinct values within 3% with 16384 slots', () => {
    const sketch = new KmvSketch(16384);
    for (let i = 0; i < 100_000; i++) sketch.add(`key-${i}`);
    expect(Math.abs(sketch.estimate() - 100_000) / 100_000).toBeLessThan(0.03);
  });

  it('hashes deterministically into 53 bits', () => {
    expect(hash53('red')).toBe(hash53('red'));
    expect(hash53('red')).not.toBe(hash53('blue'));
    expect(hash53('red')).toBeLessThan(2 ** 53);
  });
});
