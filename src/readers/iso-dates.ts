/**
 * Dates and timestamps as the ISO-8601 text an instance carries (JSON has no date type, and epoch numbers mean
 * nothing to a reader of the instance): a date as `2024-03-01`, a timestamp in UTC with the digits of its unit
 * (`2024-03-01T12:34:56.789012Z` for microseconds), so nothing the source stored is rounded away. Every reader
 * of batch jobs (Parquet, DuckDB, PostgreSQL) writes them this way.
 */

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 as `YYYY-MM-DD`. */
export function isoDate(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

/**
 * `count` units since the epoch (`perSecond` units a second, written with `digits` fraction digits) as UTC
 * ISO-8601 text. A value beyond what a Date can hold (±275,760 years; DuckDB's infinity) throws a RangeError.
 */
export function isoTimestamp(count: bigint, perSecond: bigint, digits: number): string {
  let seconds = count / perSecond;
  let fraction = count % perSecond;
  if (fraction < 0n) {
    fraction += perSecond;
    seconds -= 1n;
  }
  // `…:SS.000Z` of the whole seconds, then the fraction in the unit's digits.
  const whole = new Date(Number(seconds) * 1000).toISOString();
  return digits === 0 ? `${whole.slice(0, -5)}Z` : `${whole.slice(0, -5)}.${fraction.toString().padStart(digits, '0')}Z`;
}
