// The transport of a protocol: keep-alive node:http for REST, node:http2 framing or grpc-js for gRPC.
import { grpcTransport } from './grpc-transport.js';
import { http2GrpcTransport } from './http2-grpc-transport.js';
import { httpTransport } from './http-transport.js';
import type { LoadClientConfig } from './load-client-messages.js';
import { isGrpc } from './protocol.js';
import type { PreparedRequest } from './requests.js';
import type { Transport } from './transport.js';

export type TransportSettings = Pick<LoadClientConfig, 'protocol' | 'clients' | 'grpcChannels' | 'grpcClient' | 'host' | 'restPort' | 'grpcPort' | 'timeoutMs'>;

export function openTransport(settings: TransportSettings, prepared: PreparedRequest): Transport {
  const { host, timeoutMs } = settings;
  if (!isGrpc(settings.protocol)) return httpTransport(host, settings.restPort, prepared, settings.clients, timeoutMs);
  return settings.grpcClient === 'grpc-js'
    ? grpcTransport(host, settings.grpcPort, prepared, settings.grpcChannels, timeoutMs)
    : http2GrpcTransport(host, settings.grpcPort, prepared, settings.grpcChannels, timeoutMs);
}
