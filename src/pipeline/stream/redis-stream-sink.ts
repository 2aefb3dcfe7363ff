/**
 * Predictions appended to a Redis stream: `redis://host:port/STREAM?dedup-ttl-ms=N`. Each record becomes one
 * entry with the fields `message_id`, `instance`, `prediction` (JSON text), `model_name`, `model_version`,
 * `event_time_ms` and `prediction_time_ms` (epoch milliseconds; the names of the NATS and Kafka sinks' JSON).
 * Dead letters go to `STREAM:dead-letters` with `message_id`, `body`, `error`, `deliveries`, `event_time_ms`
 * and `failed_time_ms`.
 *
 * Idempotency: a Lua script (atomic in Redis) appends a record only when the dedup key
 * `STREAM:seen:<message id>` does not exist, and sets that key right after the XADD, with a time to live of
 * `dedup-ttl-ms` (default one day; a redelivery later than that would be appended again). XADD comes first so
 * that a failing XADD leaves no key behind; the SET that follows cannot fail.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { connectRedis, redisError } from './redis-connection.js';
import { intParam, parseRedisStreamUrl, type RedisStreamUrl } from './redis-stream-url.js';
import type { DeadLetter, PredictionRecord, StreamSink } from './stream-contracts.js';
import type { SinkRole } from './stream-endpoints.js';

export const REDIS_SINK_PARAMS = ['dedup-ttl-ms'] as const;
export const DEFAULT_DEDUP_TTL_MS = 86_400_000;

const RECORD_FIELDS = JSON.stringify(['message_id', 'instance', 'prediction', 'model_name', 'model_version', 'event_time_ms', 'prediction_time_ms']);
const LETTER_FIELDS = JSON.stringify(['message_id', 'body', 'error', 'deliveries', 'event_time_ms', 'failed_time_ms']);
/** Entries per script call, so one call never holds Redis for long. */
const ENTRIES_PER_CALL = 500;

// KEYS[1]: the stream. ARGV: dedup key prefix, TTL (ms), the field names and the entries as JSON arrays of
// strings (each entry's first value is its message id). One JSON argument rather than one argument per value
// costs the client far less to send. Returns the number of entries appended.
const APPEND_ONCE = `
local prefix, ttl = ARGV[1], ARGV[2]
local names = cjson.decode(ARGV[3])
local added = 0
for _, values in ipairs(cjson.decode(ARGV[4])) do
  local key = prefix .. values[1]
  if redis.call('EXISTS', key) == 0 then
    local args = {KEYS[1], '*'}
    for j = 1, #names do
      args[#args + 1] = names[j]
      args[#args + 1] = values[j]
    end
    redis.call('XADD', unpack(args))
    redis.call('SET', key, '1', 'PX', ttl)
    added = added + 1
  end
end
return added
`;
const APPEND_ONCE_SHA = createHash('sha1').update(APPEND_ONCE).digest('hex');

export class RedisStreamSink implements StreamSink {
  readonly display: string;

  private constructor(
    private readonly url: RedisStreamUrl,
    private readonly client: Redis,
    private readonly records: string,
    private readonly letters: string,
    private readonly ttlMs: number,
  ) {
    this.display = url.display;
  }

  /** `role` dead-letters: the URL's stream holds the dead letters themselves. */
  static async open(text: string, role: SinkRole, logger: Logger = silentLogger): Promise<RedisStreamSink> {
    const url = parseRedisStreamUrl(text, 'sink', REDIS_SINK_PARAMS);
    const ttlMs = intParam(url, 'dedup-ttl-ms', DEFAULT_DEDUP_TTL_MS, 1);
    const client = await connectRedis(url, logger);
    const letters = role === 'dead-letters' ? url.stream : `${url.stream}:dead-letters`;
    return new RedisStreamSink(url, client, url.stream, letters, ttlMs);
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    const rows = records.map((r) => [r.messageId, r.instance, r.prediction, r.modelName, String(r.modelVersion), String(r.eventTimeMs), String(r.predictionTimeMs)]);
    await this.append(this.records, RECORD_FIELDS, rows);
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const rows = letters.map((l) => [l.messageId, l.body, l.error, String(l.deliveries), String(l.eventTimeMs), String(l.failedTimeMs)]);
    await this.append(this.letters, LETTER_FIELDS, rows);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** `fields`: the field names as a JSON array. */
  private async append(stream: string, fields: string, rows: readonly string[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += ENTRIES_PER_CALL) {
      const args = [`${stream}:seen:`, String(this.ttlMs), fields, JSON.stringify(rows.slice(i, i + ENTRIES_PER_CALL))];
      try {
        await this.client.evalsha(APPEND_ONCE_SHA, 1, stream, ...args).catch((err: Error) => {
          if (!err.message.startsWith('NOSCRIPT')) throw err;
          return this.client.eval(APPEND_ONCE, 1, stream, ...args);
        });
      } catch (err) {
        throw redisError(this.url, `appending to stream ${stream}`, err);
      }
    }
  }
}
