import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServingError, toServingError } from '../../errors/serving-error.js';
import type { Logger } from '../../logging/logger.js';
import type { VersionStatus } from '../../repository/served-version.js';
import type { Predictor } from '../../serving/predictor.js';
import { httpStatusOf } from '../../errors/http-status.js';
import { readRequestBody } from './request-body.js';
import { errorJson, versionStatusObject } from './tf-serving-json.js';
import { handleTfServingRequest } from './tf-serving-handler.js';
import { parseTfServingRoute, type TfServingRoute } from './tf-serving-route.js';
import type { ServingMetrics } from '../../metrics/serving-metrics.js';

const EMPTY_BODY = new Uint8Array(0);

/** What the REST front end needs beyond predictions: listings and health. */
export interface ServerState {
  listModels(): Array<{ name: string; versions: VersionStatus[] }>;
  isReady(): boolean;
}

export interface RestServerOptions {
  readonly port: number;
  readonly host?: string | undefined;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly enableCors: boolean;
  /**
   * POST requests (predictions, v2 inference, jobs) handled at once; one more is answered 503 at once,
   * before its body is read. 0 = no limit. Default {@link DEFAULT_MAX_INFLIGHT_REQUESTS}.
   */
  readonly maxInflightRequests?: number | undefined;
  /** Connections the kernel holds for accept() (capped by net.core.somaxconn). Default {@link DEFAULT_LISTEN_BACKLOG}. */
  readonly listenBacklog?: number | undefined;
}

/** Enough for thousands of one-request-at-a-time clients; a bound on memory when clients pipeline or pile up. */
export const DEFAULT_MAX_INFLIGHT_REQUESTS = 4096;
/**
 * Node's own default (511) overflows when hundreds of clients reconnect while a batch runs: the kernel drops
 * their SYNs and they retry after 1 s and 3 s, far past any deadline.
 */
export const DEFAULT_LISTEN_BACKLOG = 4096;

/** Extra routes mounted in front of the TF Serving API (metrics, jobs, …), tried in order. */
export type RestRoute = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean> | boolean;

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, GET',
  'Access-Control-Allow-Headers': 'Content-Type',
};
const CORS_HEADER_LIST = Object.entries(CORS_HEADERS).flat();

/** What a POST request's `close` listener needs: set when the client left before its answer was written. */
interface Cancellation {
  aborted: boolean;
}

export class RestServer {
  private readonly server: Server;
  private readonly extraRoutes: RestRoute[] = [];
  private readonly maxInflight: number;
  private inflight = 0;

  constructor(
    private readonly predictor: Predictor,
    private readonly state: ServerState,
    private readonly options: RestServerOptions,
    private readonly logger: Logger,
    private readonly metrics?: ServingMetrics,
  ) {
    this.server = createServer((req, res) => {
      let work: Promise<void> | undefined;
      try {
        work = this.handle(req, res);
      } catch (err) {
        work = Promise.reject(err);
      }
      work?.catch((err: unknown) => this.crashed(res, err));
    });
    this.server.keepAliveTimeout = 65_000;
    const limit = options.maxInflightRequests ?? DEFAULT_MAX_INFLIGHT_REQUESTS;
    this.maxInflight = limit > 0 ? limit : Infinity;
  }

  /** POST requests being handled now. */
  get inflightRequests(): number {
    return this.inflight;
  }

  addRoute(route: RestRoute): void {
    this.extraRoutes.push(route);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.options.port, host: this.options.host, backlog: this.options.listenBacklog ?? DEFAULT_LISTEN_BACKLOG }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private crashed(res: ServerResponse, err: unknown): void {
    this.logger.log('error', 'rest_handler_crashed', { error: toServingError(err).message });
    if (!res.headersSent) this.send(res, 500, errorJson('Internal error'));
    else res.destroy();
  }

  // Synchronous up to the route that answers: an async function allocates its whole frame on every call,
  // which for a dispatcher this size cost more per request than the routing itself.
  private handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const target = req.url ?? '/';
    const method = req.method ?? 'GET';
    let cancellation: Cancellation | undefined;
    if (method === 'POST') {
      if (this.inflight >= this.maxInflight) {
        // Refused before reading the body: Node discards it once the answer is written, and the connection stays usable.
        this.send(res, 503, errorJson(`Too many requests in flight: the limit is ${this.maxInflight} (set by --rest_api_max_inflight_requests)`));
        this.countRefused(method, target);
        return undefined;
      }
      this.inflight++;
      // One listener per request does both jobs: the in-flight count, and telling queued work that the client left.
      const state: Cancellation = { aborted: false };
      cancellation = state;
      res.once('close', () => {
        this.inflight--;
        if (!res.writableFinished) state.aborted = true;
      });
    }
    return this.route(req, res, method, target, cancellation, 0);
  }

  /** Tries the extra routes from `first` on, then the built-in ones. */
  private route(req: IncomingMessage, res: ServerResponse, method: string, target: string, cancellation: Cancellation | undefined, first: number): Promise<void> | undefined {
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    for (let i = first; i < this.extraRoutes.length; i++) {
      // Routes answer `false` synchronously for paths that are not theirs: no promise on the hot path.
      const handled = this.extraRoutes[i]!(req, res, path);
      if (handled === true) return undefined;
      if (handled !== false) return handled.then((done) => (done ? undefined : this.route(req, res, method, target, cancellation, i + 1)));
    }
    if (method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      const ready = path === '/healthz' || this.state.isReady();
      this.send(res, ready ? 200 : 503, JSON.stringify(path === '/healthz' ? { live: true } : { ready }));
      return undefined;
    }
    if (!/^\/v1\//i.test(target) && !/^\/v1$/i.test(target)) {
      this.send(res, 404, errorJson(`Not found: ${method} ${path}`));
      return undefined;
    }
    if (method === 'OPTIONS') {
      const origin = req.headers.origin ?? '';
      const ok = origin.includes('http://') || origin.includes('https://');
      res.writeHead(ok ? 200 : 400, this.options.enableCors ? CORS_HEADERS : {});
      res.end();
      return undefined;
    }
    if (method === 'GET' && /^\/v1\/models\/?$/i.test(target)) {
      const models = this.state.listModels().map((m) => ({ name: m.name, model_version_status: m.versions.map(versionStatusObject) }));
      this.send(res, 200, JSON.stringify({ models }, null, 1));
      return undefined;
    }
    return this.tfServing(req, res, method, target, cancellation);
  }

  /** TF Serving's `/v1/models/...` API: read, decode, call, encode, answer, count. */
  private async tfServing(req: IncomingMessage, res: ServerResponse, method: string, target: string, cancellation: Cancellation | undefined): Promise<void> {
    const started = performance.now();
    let route: TfServingRoute | undefined;
    try {
      route = parseTfServingRoute(method, target);
      const body = method === 'POST' ? await readRequestBody(req, this.options.maxBodyBytes) : EMPTY_BODY;
      // A plain flag rather than an AbortController: one per request is measurably cheaper.
      const answer = await handleTfServingRequest(this.predictor, route, body, { deadline: Date.now() + this.options.timeoutMs, signal: cancellation });
      this.send(res, 200, answer.text);
      this.metrics?.countSuccess(route.name, answer.version, route.kind === 'infer' ? route.verb : '', 'REST', (performance.now() - started) * 1000);
    } catch (err) {
      const error = toServingError(err);
      if (!(err instanceof ServingError)) this.logger.log('error', 'rest_request_failed', { target, error: error.message });
      if (req.readableEnded === false) req.resume();
      this.send(res, httpStatusOf(error.code), errorJson(error.message));
      this.metrics?.countRequest(route?.name ?? '', error.code, 'REST');
    }
  }

  /** request_count counts TF Serving API calls only, as it does for answered ones. */
  private countRefused(method: string, target: string): void {
    if (this.metrics === undefined) return;
    let modelName: string;
    try {
      modelName = parseTfServingRoute(method, target).name;
    } catch {
      return;
    }
    this.metrics.countRequest(modelName, 'UNAVAILABLE', 'REST');
  }

  private send(res: ServerResponse, status: number, body: string): void {
    if (res.destroyed) return;
    // A flat [name, value, …] list: writeHead then skips building and walking a headers object.
    const headers = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))];
    res.writeHead(status, this.options.enableCors ? headers.concat(CORS_HEADER_LIST) : headers);
    res.end(body);
  }
}

