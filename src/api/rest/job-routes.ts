/**
 * The on-demand batch service over REST:
 *   POST /v1/jobs        model, input, output (+ model_name, batch_size, key_field, included_fields, excluded_fields,
 *                        instance_type, format) as query parameters or a JSON object → 202 {id, …}; any other
 *                        parameter is refused with 400, naming it
 *   GET  /v1/jobs        {"jobs": [status, …]}
 *   GET  /v1/jobs/{id}   status: state, progress, outputs, error
 * Failures answer {"error": message} with the status of the error's code (a refused path is 400).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusOf } from '../../errors/http-status.js';
import { ServingError, toServingError } from '../../errors/serving-error.js';
import type { JobRequest, JobService } from '../../pipeline/job-service.js';
import type { RestRoute } from './rest-server.js';
import { readRequestBody } from './request-body.js';
import { errorJson } from './tf-serving-json.js';

/** Job requests are a few paths: far below the prediction body limit. */
const MAX_JOB_BODY_BYTES = 64 * 1024;
const STRING_PARAMETERS = ['model', 'input', 'output', 'model_name', 'key_field', 'instance_type', 'format'] as const;
/** Field lists: comma-separated in the query (or a body string), or a JSON array of strings in the body. */
const LIST_PARAMETERS = ['included_fields', 'excluded_fields'] as const;
const KNOWN_PARAMETERS: ReadonlySet<string> = new Set([...STRING_PARAMETERS, ...LIST_PARAMETERS, 'batch_size']);

export function jobRoutes(service: JobService): RestRoute {
  return (request, response, path) => {
    if (path !== '/v1/jobs' && !path.startsWith('/v1/jobs/')) return false;
    return handle(service, request, response, path).then(
      () => true,
      (err: unknown) => {
        const error = toServingError(err);
        if (request.readableEnded === false) request.resume();
        send(response, httpStatusOf(error.code), errorJson(error.message));
        return true;
      },
    );
  };
}

async function handle(service: JobService, request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const method = request.method ?? 'GET';
  if (path === '/v1/jobs' && method === 'POST') {
    const status = await service.submit(await jobRequestOf(request));
    send(response, 202, JSON.stringify(status));
    return;
  }
  if (path === '/v1/jobs' && method === 'GET') {
    send(response, 200, JSON.stringify({ jobs: service.list() }));
    return;
  }
  const id = /^\/v1\/jobs\/([0-9a-f]+)$/.exec(path)?.[1];
  if (id !== undefined && method === 'GET') {
    const status = service.get(id);
    if (status === undefined) throw new ServingError('NOT_FOUND', `no job ${id}`);
    send(response, 200, JSON.stringify(status));
    return;
  }
  throw new ServingError('NOT_FOUND', `Not found: ${method} ${path}`);
}

/** The parameters from the JSON body and the query string; a parameter given in both must agree. */
async function jobRequestOf(request: IncomingMessage): Promise<JobRequest> {
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
  const body = await readRequestBody(request, MAX_JOB_BODY_BYTES);
  let fields: Record<string, unknown> = {};
  if (body.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch (err) {
      throw new ServingError('INVALID_ARGUMENT', `the request body is not JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ServingError('INVALID_ARGUMENT', 'the request body must be a JSON object');
    fields = parsed as Record<string, unknown>;
  }
  // A misspelt parameter would otherwise be dropped, and the job run with a default the caller did not want.
  const unknown = [...new Set([...query.keys(), ...Object.keys(fields)])].filter((name) => !KNOWN_PARAMETERS.has(name));
  if (unknown.length > 0) {
    throw new ServingError(
      'INVALID_ARGUMENT',
      `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; a job takes ${[...KNOWN_PARAMETERS].join(', ')}`,
    );
  }
  const value = (name: string): unknown => {
    const fromQuery = query.get(name) ?? undefined;
    const fromBody = fields[name];
    if (fromQuery !== undefined && fromBody !== undefined && String(fromBody) !== fromQuery) {
      throw new ServingError('INVALID_ARGUMENT', `parameter "${name}" is given differently in the query and the body`);
    }
    return fromBody ?? fromQuery;
  };
  const strings: Partial<Record<(typeof STRING_PARAMETERS)[number], string>> = {};
  for (const name of STRING_PARAMETERS) {
    const v = value(name);
    if (v !== undefined && typeof v !== 'string') throw new ServingError('INVALID_ARGUMENT', `parameter "${name}" must be a string`);
    if (v !== undefined && v !== '') strings[name] = v;
  }
  const lists: Partial<Record<(typeof LIST_PARAMETERS)[number], string[]>> = {};
  for (const name of LIST_PARAMETERS) {
    const v = value(name);
    if (v === undefined) continue;
    const items = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((item) => typeof item === 'string') ? (v as string[]) : undefined;
    if (items === undefined) throw new ServingError('INVALID_ARGUMENT', `parameter "${name}" must be a comma-separated string or an array of strings`);
    const names = items.map((item) => item.trim()).filter((item) => item !== '');
    if (names.length > 0) lists[name] = names;
  }
  const batch = value('batch_size');
  const batchSize = batch === undefined ? undefined : Number(batch);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new ServingError('INVALID_ARGUMENT', `parameter "batch_size" must be a positive integer, got ${JSON.stringify(batch)}`);
  }
  return {
    model: strings.model ?? '',
    input: strings.input ?? '',
    output: strings.output ?? '',
    modelName: strings.model_name,
    batchSize,
    keyField: strings.key_field,
    includedFields: lists.included_fields,
    excludedFields: lists.excluded_fields,
    instanceType: strings.instance_type,
    format: strings.format,
  };
}

function send(response: ServerResponse, status: number, body: string): void {
  if (response.destroyed) return;
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
