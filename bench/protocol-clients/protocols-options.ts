// Flags of `npm run bench:protocols`, parsed with the serving bench's flag helpers.
import { list, OptionError, parseFlags, positiveInt, usage, type FlagSpec } from '../flags.js';
import { isProtocol, PROTOCOLS, type Protocol } from './protocol.js';

export const ENV_PREFIX = 'BENCH_PROTOCOLS';

export type BatchingMode = 'off' | 'on';

/** `c`: wrk for REST and h2load for gRPC; `node`: the Node load client for both. */
export const GENERATORS = ['c', 'node'] as const;
export type Generator = (typeof GENERATORS)[number];

export interface ProtocolsOptions {
  readonly protocols: readonly Protocol[];
  readonly rows: readonly number[];
  readonly clients: number;
  /** One measured load per value for each gRPC protocol; the first is the one the ratios and acceptance use. */
  readonly grpcChannels: readonly number[];
  readonly grpcClient: 'http2' | 'grpc-js';
  /** The first one's tables and ratios decide the acceptance line. */
  readonly generators: readonly Generator[];
  readonly generatorThreads: number;
  readonly batching: readonly BatchingMode[];
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly repeat: number;
  readonly timeoutSeconds: number;
  readonly json: string;
}

const SPECS: readonly FlagSpec[] = [
  { name: 'protocols', default: PROTOCOLS.join(','), help: `protocols to load, comma-separated: ${PROTOCOLS.join(', ')}` },
  { name: 'rows', default: '1,32', help: 'rows per request, one load per value' },
  { name: 'clients', default: '64', help: 'concurrent calls in flight (closed loop)' },
  { name: 'grpc-channels', default: '1,4', help: 'gRPC connections (h2load -c, or the Node client\'s channels); a list runs each; the first decides the acceptance line' },
  { name: 'generators', default: 'c,node', help: 'load generators, comma-separated: c (wrk for REST, h2load for gRPC) and node (one Node load client for all); the first decides the acceptance line' },
  { name: 'generator-threads', default: '1', help: 'wrk and h2load threads (at most one per connection)' },
  { name: 'grpc-client', default: 'http2', help: 'gRPC transport of the node generator: http2 (minimal framing on node:http2, like the minimal REST client) or grpc-js' },
  { name: 'batching', default: 'both', help: 'server dynamic batching: on, off or both' },
  { name: 'duration', default: '8', help: 'seconds measured per load' },
  { name: 'warmup', default: '2', help: 'seconds of unmeasured load before each measured window' },
  { name: 'repeat', default: '1', help: 'runs per load; the table reports medians' },
  { name: 'timeout', default: '30', help: 'seconds before a call counts as a timeout' },
  { name: 'json', default: '', help: 'also write every raw run to this file' },
];

export const protocolsUsage = (): string => usage('npm run bench:protocols', SPECS, ENV_PREFIX);

/** Null when `--help` was asked for. */
export function parseProtocolsOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ProtocolsOptions | null {
  const flags = parseFlags(argv, env, SPECS, ENV_PREFIX);
  if (flags === null) return null;
  const get = (name: string): string => flags.get(name) ?? '';
  const protocols = list(get('protocols'), 'protocols').map((p) => {
    if (!isProtocol(p)) throw new OptionError(`unknown protocol "${p}"; known: ${PROTOCOLS.join(', ')}`);
    return p;
  });
  const grpcClient = get('grpc-client');
  if (grpcClient !== 'http2' && grpcClient !== 'grpc-js') throw new OptionError(`--grpc-client expects http2 or grpc-js, got "${grpcClient}"`);
  const generators = list(get('generators'), 'generators').map((g) => {
    if (!(GENERATORS as readonly string[]).includes(g)) throw new OptionError(`unknown generator "${g}"; known: ${GENERATORS.join(', ')}`);
    return g as Generator;
  });
  const batching = get('batching');
  if (batching !== 'on' && batching !== 'off' && batching !== 'both') throw new OptionError(`--batching expects on, off or both, got "${batching}"`);
  return {
    protocols,
    rows: list(get('rows'), 'rows').map((r) => positiveInt(r, 'rows')),
    clients: positiveInt(get('clients'), 'clients'),
    grpcChannels: list(get('grpc-channels'), 'grpc-channels').map((c) => positiveInt(c, 'grpc-channels')),
    grpcClient,
    generators,
    generatorThreads: positiveInt(get('generator-threads'), 'generator-threads'),
    batching: batching === 'both' ? ['off', 'on'] : [batching],
    durationSeconds: positiveInt(get('duration'), 'duration'),
    warmupSeconds: positiveInt(get('warmup'), 'warmup'),
    repeat: positiveInt(get('repeat'), 'repeat'),
    timeoutSeconds: positiveInt(get('timeout'), 'timeout'),
    json: get('json'),
  };
}
