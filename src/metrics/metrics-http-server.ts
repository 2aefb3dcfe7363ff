/**
 * A bare HTTP server that answers `GET /metrics` with a registry's Prometheus text, for processes that have no
 * REST API of their own (the stream worker). Any other path is a 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ServingError } from '../errors/serving-error.js';

export interface MetricsHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsHttpServer(registry: Registry, port: number, host = '0.0.0.0'): Promise<MetricsHttpServer> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ServingError('FAILED_PRECONDITION', `cannot serve metrics on port ${port}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
