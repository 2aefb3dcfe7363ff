/**
 * Table locations given as `--input` or `--output`: `duckdb:///abs/path.db?table=T` (or `?query=SELECT …`, input
 * only) and `postgres://user@host:port/db?table=T|query=…` (`postgresql://` too). The password, if any, never
 * leaves this module except in the connection string: everything shown or recorded uses `display`.
 */
import { ServingError } from '../errors/serving-error.js';

export type TableSource = { readonly table: string } | { readonly query: string };

export interface TableUrl {
  readonly engine: 'duckdb' | 'postgres';
  /** DuckDB: the database file; PostgreSQL: the connection string without the table/query parameters. */
  readonly target: string;
  readonly source: TableSource;
  /** The URL with its password masked, for messages, error rows and the job manifest. */
  readonly display: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function isTableUrl(value: string): boolean {
  return /^(duckdb|postgres|postgresql):\/\//i.test(value.trim());
}

export function parseTableUrl(value: string): TableUrl {
  const text = value.trim();
  const match = /[?&]query=/.exec(text);
  // Everything before `query=` is an ordinary URL.
  const head = match === null ? text : text.slice(0, match.index);
  const query = match === null ? null : decodeQuery(text.slice(match.index + match[0].length));
  let url: URL;
  try {
    url = new URL(head);
  } catch {
    throw invalid(text, 'not a valid URL');
  }
  const table = url.searchParams.get('table');
  if ((table === null) === (query === null)) throw invalid(text, 'give exactly one of ?table= or ?query=');
  if (table !== null && !IDENTIFIER.test(table)) throw invalid(text, `table "${table}" is not a plain name (letters, digits, _; optionally schema.name)`);
  const source: TableSource = table !== null ? { table } : { query: query! };
  const masked = new URL(head);
  if (masked.password !== '') masked.password = '***';
  const display = decodeURIComponent(masked.toString()) + (match === null ? '' : `${match[0]}${query}`);
  url.searchParams.delete('table');
  if (url.protocol === 'duckdb:') {
    const path = decodeURIComponent(url.pathname);
    if (url.host !== '' || !path.startsWith('/')) throw invalid(text, 'expected duckdb:///absolute/path.db (three slashes)');
    return { engine: 'duckdb', target: path, source, display };
  }
  return { engine: 'postgres', target: url.toString(), source, display };
}

/**
 * `?query=` runs to the end of the URL, so SQL need not be URL-encoded: `+`, `&` and `%` (LIKE '%x%') mean
 * what they mean in SQL; percent-encoded text is decoded when it decodes cleanly.
 */
function decodeQuery(raw: string): string {
  try {
    return /%[0-9A-Fa-f]{2}/.test(raw) && !/%(?![0-9A-Fa-f]{2})/.test(raw) ? decodeURIComponent(raw) : raw;
  } catch {
    return raw;
  }
}

/** `name` or `schema.name`, each part double-quoted. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

function invalid(url: string, why: string): ServingError {
  return new ServingError('INVALID_ARGUMENT', `${url.replace(/:[^:@/]*@/, ':***@')}: ${why}`);
}
