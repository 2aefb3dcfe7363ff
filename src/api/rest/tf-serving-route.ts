import { ServingError } from '../../errors/serving-error.js';

export type TfServingRoute =
  | { kind: 'status'; name: string; version?: number | undefined; label?: string | undefined }
  | { kind: 'metadata'; name: string; version?: number | undefined; label?: string | undefined }
  | { kind: 'infer'; verb: 'predict' | 'classify' | 'regress'; name: string; version?: number | undefined; label?: string | undefined };

// TF Serving matches these case-insensitively against path + query, then compares the verb exactly.
const POST_PATTERN = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+)|\/labels\/([^/:]+))?:([^/:]+)$/i;
const GET_PATTERN = /^\/v1\/models(?:\/([^/:]+))?(?:\/versions\/(\d+)|\/labels\/([^/:]+))?(?:\/(metadata))?$/i;
const VERBS = new Set(['predict', 'classify', 'regress']);
const INT64_MAX = 9223372036854775807n;

/**
 * Parses a `/v1/...` request the way TF Serving's REST handler does. `target` is the raw request
 * target (path with any query string, which TF Serving treats as part of the path).
 */
export function parseTfServingRoute(method: string, target: string): TfServingRoute {
  const malformed = (): never => {
    throw new ServingError('INVALID_ARGUMENT', `Malformed request: ${method} ${target}`);
  };
  if (method === 'POST') {
    const m = POST_PATTERN.exec(target);
    if (m === null) return malformed();
    const verb = m[4] as string;
    if (!VERBS.has(verb)) return malformed();
    const { version, label } = versionOrLabel(m[2], m[3]);
    return { kind: 'infer', verb: verb as 'predict', name: decode(m[1] as string), version, label };
  }
  if (method === 'GET') {
    const m = GET_PATTERN.exec(target);
    if (m === null) return malformed();
    if (m[1] === undefined) {
      if (m[2] === undefined && m[3] === undefined && m[4] === undefined) return malformed();
      throw new ServingError('INVALID_ARGUMENT', 'Missing model name in request.');
    }
    const kind = m[4] === 'metadata' ? 'metadata' : 'status';
    const { version, label } = versionOrLabel(m[2], m[3]);
    return { kind, name: decode(m[1]), version, label };
  }
  return malformed();
}

const NEITHER: { version: undefined; label: undefined } = { version: undefined, label: undefined };

function versionOrLabel(version: string | undefined, label: string | undefined): { version: number | undefined; label: string | undefined } {
  if (version !== undefined) {
    const big = BigInt(version);
    if (big > INT64_MAX) throw new ServingError('INVALID_ARGUMENT', `Failed to convert version: ${version} to numeric.`);
    return { version: Number(big), label: undefined };
  }
  if (label !== undefined) return { version: undefined, label: decode(label) };
  return NEITHER;
}

/** Percent-decoding as curl_easy_unescape does it: invalid escapes stay as they are. */
function decode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length + 0 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
