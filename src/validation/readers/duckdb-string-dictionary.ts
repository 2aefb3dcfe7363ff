/**
 * The strings of DuckDB VARCHAR and BLOB vectors, interned: a string met a million times is decoded, measured
 * and hashed once. A vector holds one 16-byte `string_t` per row — a uint32 length, then the bytes themselves
 * when there are at most 12 (zero-padded), else a 4-byte prefix and a pointer. Short strings are found by those
 * 16 bytes in an open-addressing table without being decoded; long ones are read through the pointer and
 * found by their text. The dictionary is bounded: past `maxEntries` it starts again empty at the next batch.
 */
import duckdb from '@duckdb/node-bindings';
import type { StringDictionary } from '../column-batch.js';
import { hash53 } from '../sketches/kmv-sketch.js';

/** Distinct strings kept before the dictionary starts again; a batch adds at most one per row. */
export const DEFAULT_MAX_DICTIONARY_ENTRIES = 1 << 16;

const STRING_T_BYTES = 16;
const INLINE_BYTES = 12;
const SLOT_INTS = 5;
// The same decoder as the Parquet row reader's (UTF-8, invalid bytes replaced), so both give the same strings.
const decoder = new TextDecoder();

export class DuckDbStringDictionary implements StringDictionary {
  strings: string[] = [];
  byteLengths: number[] = [];
  hashes: number[] = [];
  /** Per slot: the four words of an inline string_t and its id + 1 (0 = empty). */
  private table = new Int32Array(1024 * SLOT_INTS);
  private slotMask = 1023;
  private readonly longStrings = new Map<string, number>();

  constructor(private readonly maxEntries = DEFAULT_MAX_DICTIONARY_ENTRIES) {}

  /** Call between batches: ids handed out before stay valid until then. */
  startBatch(): void {
    if (this.strings.length < this.maxEntries) return;
    this.strings = [];
    this.byteLengths = [];
    this.hashes = [];
    this.table = new Int32Array(1024 * SLOT_INTS);
    this.slotMask = 1023;
    this.longStrings.clear();
  }

  /** Ids of rows [0, rowCount) of a vector's data; rows without a value (per `validity`) are left as they are. */
  internVector(data: Uint8Array, rowCount: number, validity: Uint8Array | null, ids: Int32Array): void {
    if (data.byteOffset % 4 !== 0) data = data.slice(0, rowCount * STRING_T_BYTES);
    const words = new Int32Array(data.buffer, data.byteOffset, rowCount * 4);
    for (let row = 0; row < rowCount; row++) {
      if (validity !== null && (validity[row >> 3]! & (1 << (row & 7))) === 0) continue;
      const at = row * 4;
      const length = words[at]!;
      ids[row] =
        length <= INLINE_BYTES
          ? this.internInline(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!, data, row)
          : this.internLong(data, row, length);
    }
  }

  private internInline(w0: number, w1: number, w2: number, w3: number, data: Uint8Array, row: number): number {
    const table = this.table;
    let slot = mix(w0, w1, w2, w3) & this.slotMask;
    for (;;) {
      const at = slot * SLOT_INTS;
      const id = table[at + 4]!;
      if (id === 0) break;
      if (table[at] === w0 && table[at + 1] === w1 && table[at + 2] === w2 && table[at + 3] === w3) return id - 1;
      slot = (slot + 1) & this.slotMask;
    }
    const text = decoder.decode(new Uint8Array(data.buffer, data.byteOffset + row * STRING_T_BYTES + 4, w0));
    const id = this.add(text);
    const at = slot * SLOT_INTS;
    table[at] = w0;
    table[at + 1] = w1;
    table[at + 2] = w2;
    table[at + 3] = w3;
    table[at + 4] = id + 1;
    // Keep the table at most half full.
    if (2 * this.strings.length > this.slotMask) this.growTable();
    return id;
  }

  private internLong(data: Uint8Array, row: number, length: number): number {
    const bytes = duckdb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + row * STRING_T_BYTES + 8, length);
    const text = decoder.decode(bytes);
    const known = this.longStrings.get(text);
    if (known !== undefined) return known;
    const id = this.add(text);
    this.longStrings.set(text, id);
    return id;
  }

  private add(text: string): number {
    this.strings.push(text);
    this.byteLengths.push(Buffer.byteLength(text, 'utf8'));
    this.hashes.push(hash53(text));
    return this.strings.length - 1;
  }

  private growTable(): void {
    const old = this.table;
    const slots = 2 * (this.slotMask + 1);
    this.table = new Int32Array(slots * SLOT_INTS);
    this.slotMask = slots - 1;
    for (let at = 0; at < old.length; at += SLOT_INTS) {
      if (old[at + 4] === 0) continue;
      let slot = mix(old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!) & this.slotMask;
      while (this.table[slot * SLOT_INTS + 4] !== 0) slot = (slot + 1) & this.slotMask;
      this.table.set(old.subarray(at, at + SLOT_INTS), slot * SLOT_INTS);
    }
  }
}

/** A 32-bit mix of the four words (murmur3's finaliser over a running product). */
function mix(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ w3, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}
