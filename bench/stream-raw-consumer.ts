// The broker's limit for bench/stream-redis.ts: a consumer-group loop that does nothing but XREADGROUP and XACK
// (no decoding, no model, no sink), run as its own process like the worker it is compared with. Prints one
// JSON line: messages, the span from the first read to the last acknowledgement, CPU time over that span, and
// the end-to-end latency (acknowledged time − entry id time) of every message published from the time given
// on stdin as `measure <epoch ms>` (all of them when none is given: a warm-up is left out this way).
// Usage: node stream-raw-consumer.js REDIS_PORT STREAM GROUP COUNT MESSAGES
import { Redis } from 'ioredis';

async function main(): Promise<void> {
  const [port, stream, group, count, messages] = process.argv.slice(2);
  const expected = Number(messages);
  const redis = new Redis({ port: Number(port), host: '127.0.0.1', protocol: 2 });
  await redis.xgroup('CREATE', stream!, group!, '0', 'MKSTREAM').catch(() => undefined);
  process.stdout.write('ready\n');
  let measureFrom = 0;
  process.stdin.setEncoding('utf8').on('data', (text: string) => {
    const m = /measure (\d+)/.exec(text);
    if (m !== null) measureFrom = Number(m[1]);
  });
  const latencies: number[] = [];
  let done = 0;
  let firstMs = 0;
  let cpuAtFirst = process.cpuUsage();
  while (done < expected) {
    const reply = (await redis.xreadgroup('GROUP', group!, 'raw', 'COUNT', Number(count), 'BLOCK', 1000, 'STREAMS', stream!, '>')) as Array<[string, Array<[string, string[]]>]> | null;
    if (reply === null) continue;
    if (firstMs === 0) {
      firstMs = Date.now();
      cpuAtFirst = process.cpuUsage();
    }
    const ids = reply[0]![1].map(([id]) => id);
    await redis.xack(stream!, group!, ...ids);
    const now = Date.now();
    done += ids.length;
    for (const id of ids) {
      const eventMs = Number(id.slice(0, id.indexOf('-')));
      if (eventMs >= measureFrom) latencies.push(now - eventMs);
    }
  }
  const lastMs = Date.now();
  const cpu = process.cpuUsage(cpuAtFirst);
  redis.disconnect();
  process.stdout.write(`${JSON.stringify({ messages: done, firstMs, lastMs, cpuMs: (cpu.user + cpu.system) / 1000, latencies })}\n`);
  process.stdin.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
