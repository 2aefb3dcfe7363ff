// The broker's limit for bench/stream-redis.ts: a consumer-group loop that does nothing but XREADGROUP and XACK
// (no decoding, no model, no sink), run as its own process like the worker it is compared with. Prints one
// JSON line: messages, the span from the first read to the last acknowledgement, CPU time over that span, and
// the end-to-end latency of every message (acknowledged time − entry id time).
// Usage: node stream-raw-consumer.js REDIS_PORT STREAM GROUP COUNT MESSAGES
import { Redis } from 'ioredis';

async function main(): Promise<void> {
  const [port, stream, group, count, messages] = process.argv.slice(2);
  const expected = Number(messages);
  const redis = new Redis({ port: Number(port), host: '127.0.0.1', protocol: 2 });
  await redis.xgroup('CREATE', stream!, group!, '0', 'MKSTREAM').catch(() => undefined);
  process.stdout.write('ready\n');
  const latencies: number[] = [];
  let firstMs = 0;
  let cpuAtFirst = process.cpuUsage();
  while (latencies.length < expected) {
    const reply = (await redis.xreadgroup('GROUP', group!, 'raw', 'COUNT', Number(count), 'BLOCK', 1000, 'STREAMS', stream!, '>')) as Array<[string, Array<[string, string[]]>]> | null;
    if (reply === null) continue;
    if (firstMs === 0) {
      firstMs = Date.now();
      cpuAtFirst = process.cpuUsage();
    }
    const ids = reply[0]![1].map(([id]) => id);
    await redis.xack(stream!, group!, ...ids);
    const now = Date.now();
    for (const id of ids) latencies.push(now - Number(id.slice(0, id.indexOf('-'))));
  }
  const lastMs = Date.now();
  const cpu = process.cpuUsage(cpuAtFirst);
  redis.disconnect();
  process.stdout.write(`${JSON.stringify({ messages: latencies.length, firstMs, lastMs, cpuMs: (cpu.user + cpu.system) / 1000, latencies })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
