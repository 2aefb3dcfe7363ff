/**
 * Publishes message bodies to a Redis stream (`redis://host:port/STREAM`), each as an entry with the body in
 * field `data` and an id from Redis's clock, so the event time is when Redis took it. A batch is one Lua
 * script call that XADDs its bodies in order: one command for the client to send instead of one per body,
 * which is what lets `millrace simulate` publish tens of thousands of messages a second from one core.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, redisError } from './redis-connection.js';
import { parseRedisStreamUrl, type RedisStreamUrl } from './redis-stream-url.js';
import { REDIS_BODY_FIELD } from './redis-stream-source.js';
import type { StreamPublisher } from './stream-publisher.js';

// KEYS[1]: the stream. ARGV[1]: the body field's name; ARGV[2]: the bodies as a JSON array of strings.
const APPEND_ALL = `
local field = ARGV[1]
for _, body in ipairs(cjson.decode(ARGV[2])) do
  redis.call('XADD', KEYS[1], '*', field, body)
end
return 1
`;
const APPEND_ALL_SHA = createHash('sha1').update(APPEND_ALL).digest('hex');

export class RedisStreamPublisher implements StreamPublisher {
  readonly display: string;

  private constructor(
    private readonly url: RedisStreamUrl,
    private readonly client: Redis,
  ) {
    this.display = url.display;
  }

  static async open(text: string): Promise<RedisStreamPublisher> {
    const url = parseRedisStreamUrl(text, 'publish target', []);
    return new RedisStreamPublisher(url, await connectRedis(url));
  }

  async publish(bodies: readonly string[]): Promise<void> {
    if (bodies.length === 0) return;
    const args = [REDIS_BODY_FIELD, Buffer.from(JSON.stringify(bodies))];
    try {
      await this.client.evalsha(APPEND_ALL_SHA, 1, this.url.stream, ...args).catch((err: Error) => {
        if (!err.message.startsWith('NOSCRIPT')) throw err;
        return this.client.eval(APPEND_ALL, 1, this.url.stream, ...args);
      });
    } catch (err) {
      throw redisError(this.url, 'XADD', err);
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
