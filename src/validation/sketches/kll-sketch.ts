/**
 * KLL quantile sketch (Karnin, Lang, Liberty 2016): one pass, bounded memory, mergeable. With k = 200 the
 * rank error is about 1.33% (DataSketches' figure, 99% confidence); until the sketch first fills (more than
 * k + 256 values) every item is kept and all answers are exact. Coin flips come from a seeded generator so a
 * given input order always gives the same sketch. Levels are typed arrays, compacted in place.
 */
export const DEFAULT_KLL_K = 200;

const CAPACITY_DECAY = 2 / 3;
const MIN_LEVEL_CAPACITY = 8;
const LEVEL_ZERO_CAPACITY = 256;
const INITIAL_LEVEL_LENGTH = 16;

export interface KllSketchState {
  readonly k: number;
  readonly n: number;
  readonly levels: number[][];
  readonly seed: number;
}

export class KllSketch {
  /**
   * Level h holds items of weight 2^h in `levels[h][0 .. sizes[h])`; buffers grow by doubling. Levels above 0 are
   * kept sorted (promoted runs are merged in), so only level 0 is ever sorted.
   */
  private levels: Float64Array[] = [new Float64Array(INITIAL_LEVEL_LENGTH)];
  private sizes: number[] = [0];
  private count = 0;
  private retained = 0;
  private capacities: number[] = [];
  private totalCapacity = 0;
  private seed: number;

  constructor(readonly k: number = DEFAULT_KLL_K, seed = 0x9e3779b9) {
    this.seed = seed >>> 0 || 1;
    this.updateCapacities();
  }

  /** Number of items added (each merge adds the other sketch's count). */
  get n(): number {
    return this.count;
  }

  add(value: number): void {
    const size = this.sizes[0] as number;
    const level0 = size < (this.levels[0] as Float64Array).length ? (this.levels[0] as Float64Array) : this.grow(0, size + 1);
    level0[size] = value;
    this.sizes[0] = size + 1;
    this.count++;
    if (++this.retained >= this.totalCapacity) this.compactOnce();
  }

  /**
   * Adds `values[0 .. length)` in order: the same sketch as adding them one by one, with the copying done
   * a run at a time between compactions.
   */
  addAll(values: Float64Array, length: number = values.length): void {
    let i = 0;
    while (i < length) {
      const take = Math.min(Math.max(1, this.totalCapacity - this.retained), length - i);
      const size = this.sizes[0] as number;
      const level0 = size + take <= (this.levels[0] as Float64Array).length ? (this.levels[0] as Float64Array) : this.grow(0, size + take);
      level0.set(values.subarray(i, i + take), size);
      this.sizes[0] = size + take;
      this.count += take;
      this.retained += take;
      i += take;
      if (this.retained >= this.totalCapacity) this.compactOnce();
    }
  }

  /**
   * Adds `times` copies of one value, exactly: one item of weight 2^h for each bit h of `times` (a merge with a
   * sketch that holds them without error). For list lengths, where most rows have the same count.
   */
  addRepeated(value: number, times: number): void {
    if (times <= 0) return;
    let added = false;
    for (let h = 0, rest = times; rest > 0; h++, rest = Math.floor(rest / 2)) {
      if (rest % 2 === 0) continue;
      while (this.levels.length <= h) {
        this.levels.push(new Float64Array(INITIAL_LEVEL_LENGTH));
        this.sizes.push(0);
        added = true;
      }
      this.insertSorted(h, Float64Array.of(value), 1);
      this.retained++;
    }
    this.count += times;
    if (added) this.updateCapacities();
    while (this.retained >= this.totalCapacity) this.compactOnce();
  }

  merge(other: KllSketch): void {
    while (this.levels.length < other.levels.length) {
      this.levels.push(new Float64Array(INITIAL_LEVEL_LENGTH));
      this.sizes.push(0);
    }
    other.levels.forEach((items, level) => {
      const add = other.sizes[level] as number;
      if (level > 0) {
        this.insertSorted(level, items, add);
        return;
      }
      const size = this.sizes[0] as number;
      const target = size + add <= (this.levels[0] as Float64Array).length ? (this.levels[0] as Float64Array) : this.grow(0, size + add);
      target.set(items.subarray(0, add), size);
      this.sizes[0] = size + add;
    });
    this.count += other.count;
    this.retained += other.retained;
    this.updateCapacities();
    while (this.retained >= this.totalCapacity) this.compactOnce();
  }

  /** Items with their weights, sorted by value: the sketch's picture of the data. */
  weightedItems(): { values: Float64Array; weights: Float64Array } {
    const pairs: Array<[number, number]> = new Array(this.retained);
    let i = 0;
    this.levels.forEach((items, level) => {
      const weight = 2 ** level;
      const size = this.sizes[level] as number;
      for (let j = 0; j < size; j++) pairs[i++] = [items[j] as number, weight];
    });
    pairs.sort((a, b) => compareNumbers(a[0], b[0]));
    return { values: Float64Array.from(pairs, (p) => p[0]), weights: Float64Array.from(pairs, (p) => p[1]) };
  }

  toState(): KllSketchState {
    return { k: this.k, n: this.count, levels: this.levels.map((l, h) => Array.from(l.subarray(0, this.sizes[h]))), seed: this.seed };
  }

  static fromState(state: KllSketchState): KllSketch {
    const sketch = new KllSketch(state.k, state.seed);
    const levels = state.levels.length === 0 ? [[]] : state.levels;
    sketch.levels = levels.map((l, h) => {
      const buffer = new Float64Array(Math.max(INITIAL_LEVEL_LENGTH, l.length));
      buffer.set(l);
      if (h > 0) buffer.subarray(0, l.length).sort();
      return buffer;
    });
    sketch.sizes = levels.map((l) => l.length);
    sketch.count = state.n;
    sketch.retained = sketch.sizes.reduce((s, l) => s + l, 0);
    sketch.updateCapacities();
    while (sketch.retained >= sketch.totalCapacity) sketch.compactOnce();
    return sketch;
  }

  /**
   * Level h of H holds up to max(8, ⌈k·(2/3)^(H−h−1)⌉) items: the top level k, lower ones geometrically fewer
   * (DataSketches' rule). Level 0 also takes at least LEVEL_ZERO_CAPACITY items, so compactions sort runs of
   * hundreds of items rather than a handful: capacities above the rule only add accuracy.
   */
  private updateCapacities(): void {
    const height = this.levels.length;
    this.capacities = this.levels.map((_, level) =>
      Math.max(level === 0 ? LEVEL_ZERO_CAPACITY : MIN_LEVEL_CAPACITY, Math.ceil(this.k * CAPACITY_DECAY ** (height - level - 1))),
    );
    this.totalCapacity = this.capacities.reduce((s, c) => s + c, 0);
  }

  private grow(level: number, needed: number): Float64Array {
    const old = this.levels[level] as Float64Array;
    let length = Math.max(INITIAL_LEVEL_LENGTH, old.length);
    while (length < needed) length *= 2;
    const grown = new Float64Array(length);
    grown.set(old.subarray(0, this.sizes[level]));
    this.levels[level] = grown;
    return grown;
  }

  /** Merges the sorted run `run[0 .. count)` into sorted level `level` (≥ 1), from the back, in place. */
  private insertSorted(level: number, run: Float64Array, count: number): void {
    const size = this.sizes[level] as number;
    const items = size + count <= (this.levels[level] as Float64Array).length ? (this.levels[level] as Float64Array) : this.grow(level, size + count);
    let i = size - 1;
    let j = count - 1;
    for (let k = size + count - 1; j >= 0; k--) {
      if (i >= 0 && (items[i] as number) > (run[j] as number)) items[k] = items[i--] as number;
      else items[k] = run[j--] as number;
    }
    this.sizes[level] = size + count;
  }

  /**
   * Lazy compaction (as in DataSketches): only when the whole sketch is full, halve the lowest level that
   * is at or over its capacity, promoting every other item (odd or even by a coin flip) with double weight.
   */
  private compactOnce(): void {
    let level = 0;
    while (level < this.levels.length - 1 && (this.sizes[level] as number) < (this.capacities[level] as number)) level++;
    if (level + 1 === this.levels.length) {
      this.levels.push(new Float64Array(INITIAL_LEVEL_LENGTH));
      this.sizes.push(0);
      this.updateCapacities();
    }
    const size = this.sizes[level] as number;
    const items = (this.levels[level] as Float64Array).subarray(0, size);
    // Typed-array sort is numeric and native, in place; higher levels are sorted already.
    if (level === 0) items.sort();
    // An odd item out stays behind so the total weight is preserved exactly.
    const even = size - (size % 2);
    if (promotedScratch.length < even / 2) promotedScratch = new Float64Array(even);
    let count = 0;
    for (let i = this.nextCoin(); i < even; i += 2) promotedScratch[count++] = items[i] as number;
    this.insertSorted(level + 1, promotedScratch, count);
    this.retained -= even / 2;
    if (even !== size) items[0] = items[even] as number;
    this.sizes[level] = size - even;
  }

  /** xorshift32: deterministic, good enough for choosing odd or even items. */
  private nextCoin(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed & 1;
  }
}

// The items a compaction promotes, before they are merged into the level above.
let promotedScratch = new Float64Array(256);

/** Total order that keeps ±Infinity sortable (a − b is NaN for Infinity − Infinity). */
function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Quantile queries over a sketch's sorted weighted items; exact when every weight is 1. */
export class QuantileSummary {
  private readonly cumulative: Float64Array;

  constructor(
    readonly values: Float64Array,
    readonly weights: Float64Array,
  ) {
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => {
      total += w;
      this.cumulative[i] = total;
    });
  }

  static of(sketch: KllSketch): QuantileSummary {
    const { values, weights } = sketch.weightedItems();
    return new QuantileSummary(values, weights);
  }

  get totalWeight(): number {
    return this.cumulative.length === 0 ? 0 : (this.cumulative[this.cumulative.length - 1] as number);
  }

  /** The item at 0-based rank r (r in [0, total − 1]). */
  valueAtRank(rank: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > rank) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo] as number;
  }

  /** Quantile q in [0, 1] by linear interpolation between neighbouring ranks (numpy's default). */
  quantile(q: number): number {
    const n = this.totalWeight;
    if (n === 0) return NaN;
    const position = q * (n - 1);
    const below = Math.floor(position);
    const low = this.valueAtRank(below);
    if (position === below) return low;
    const high = this.valueAtRank(below + 1);
    return low + (high - low) * (position - below);
  }
}
