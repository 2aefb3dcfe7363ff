/**
 * The one definition of where CSV fields and records start and end (RFC 4180 with the usual relaxations),
 * shared by the record parser and by the scan that splits a file into work units, so the two always agree
 * on record boundaries. It looks only at ASCII codes (quote, delimiter, CR, LF), so it runs the same over
 * UTF-8 bytes as over UTF-16 code units.
 *
 * - A field that starts with `"` is quoted: delimiters and line breaks inside it are data, `""` is a quote.
 * - A `"` inside an unquoted field is data (as csv-parse's `relax_quotes`).
 * - After a closing quote, anything but a delimiter or line break is an error for that record only.
 * - A record ends at LF outside quotes; a CR just before it is dropped, so CRLF files read the same.
 */
export const FIELD_START = 0;
export const UNQUOTED = 1;
export const QUOTED = 2;
/** Just read a `"` inside a quoted field: either the closing quote or the first half of `""`. */
export const QUOTE_IN_QUOTED = 3;

export type CsvState = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTE_IN_QUOTED;

export const QUOTE = 0x22;
export const LF = 0x0a;
export const CR = 0x0d;

/** The state after reading code `c` in state `s`; an LF read outside quotes ends the record (state FIELD_START). */
export function csvStep(s: CsvState, c: number, delimiter: number): CsvState {
  switch (s) {
    case FIELD_START:
      if (c === QUOTE) return QUOTED;
      return c === delimiter || c === LF ? FIELD_START : UNQUOTED;
    case UNQUOTED:
      return c === delimiter || c === LF ? FIELD_START : UNQUOTED;
    case QUOTED:
      return c === QUOTE ? QUOTE_IN_QUOTED : QUOTED;
    case QUOTE_IN_QUOTED:
      if (c === QUOTE) return QUOTED;
      if (c === delimiter || c === LF) return FIELD_START;
      return c === CR ? QUOTE_IN_QUOTED : UNQUOTED;
  }
}
