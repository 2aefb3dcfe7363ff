/**
 * A throwaway NATS server with JetStream for tests: `nats-server -js` on a free port, its store in a temporary
 * directory. A missing binary is an error, never a skip: the tests that need a server must not pass without one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from './free-port.js';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Stops the server and starts it again on the same port with the same store (streams and consumers kept). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export function natsServerBinary(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`nats-server not found (looked at ${CANDIDATES.join(', ')}); install it, e.g. apt-get install nats-server`);
  return found;
}

export async function startNatsServer(): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'millrace-nats-'));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let log = '';
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(natsServerBinary(), ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    try {
      await waitForServer(url, child, () => log);
    } catch (err) {
      await stopChild(child);
      throw err;
    }
    return child;
  };
  let child: ChildProcess;
  try {
    child = await launch();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const restart = async (): Promise<void> => {
    await stopChild(child);
    child = await launch();
  };
  return { url, port, restart, stop };
}

async function waitForServer(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}:\n${log()}`);
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 1000 });
      await nc.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nats-server did not accept connections within 20 s (${(err as Error).message}):\n${log()}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
