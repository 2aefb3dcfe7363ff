/**
 * Publishes message bodies to a Redis stream (`redis://host:port/STREAM`): one `XADD STREAM * data <body>` per
 * body, pipelined, so the entry ids (and with them the event times) are Redis's clock at arrival.
 */
import type { Redis } from 'ioredis';
import { connectRedis, redisError } from './redis-connection.js';
import { parseRedisStreamUrl, type RedisStreamUrl } from './redis-stream-url.js';
import { REDIS_BODY_FIELD } from './redis-stream-source.js';
import type { StreamPublisher } from './stream-publisher.js';

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
    const pipeline = this.client.pipeline();
    for (const body of bodies) pipeline.xadd(this.url.stream, '*', REDIS_BODY_FIELD, body);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null);
    if (failed !== undefined) throw redisError(this.url, 'XADD', failed[0]);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
