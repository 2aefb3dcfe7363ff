/** A part of a text file that starts at the beginning of a line: bytes [start, end), whose first line is `firstLine`. */
export interface ByteRange {
  readonly start: number;
  /** Exclusive; Infinity reads to the end of the file. */
  readonly end: number;
  /** 1-based number of the line that starts at `start`. */
  readonly firstLine: number;
}

export const WHOLE_FILE: ByteRange = { start: 0, end: Infinity, firstLine: 1 };

/** The `createReadStream` options for a range (its `end` is inclusive). */
export function streamRange(range: ByteRange): { start: number; end?: number } {
  return range.end === Infinity ? { start: range.start } : { start: range.start, end: range.end - 1 };
}
