/**
 * Predictions appended to a Redis stream: `redis://host:port/STREAM?dedup-ttl-ms=N`. Each record becomes one
 * entry with the fields `message_id`, `instance`, `prediction` (JSON text), `model_name`, `model_version`,
 * `event_time_ms` and `prediction_time_ms` (epoch milliseconds; the names of the NATS and Kafka sinks' JSON).
 * Dead letters go to `STREAM:dead-letters` with `message_id`, `body`, `error`, `deliveries`, `event_time_ms`
 * and `failed_time_ms`.
 *
 * Idempotency: a Lua script (atomic in Redis) appends a record only when its message id is in neither of the
 * two newest dedup hashes, `STREAM:seen:<n>` and `STREAM:seen:<n-1>`, where n is Redis's clock divided by
 * `dedup-ttl-ms` (default one day), then records the id in hash n. Each hash expires two periods after it
 * began, so a repeat within `dedup-ttl-ms` of the first write is always caught (an older one would be appended
 * again). The XADDs come before the HSET so that a failing XADD records nothing. Hash fields cost Redis much less
 * than one key with a time to live per message. The script touches keys it does not declare, so this sink
 * needs a single Redis server, not a cluster.
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

// KEYS[1]: the stream. ARGV: dedup key prefix, dedup period (ms), the field names (6 or 7) and the entries as
// JSON arrays of strings (each entry's first value is its message id). One JSON argument rather than one
// argument per value costs the client far less to send; XADD's arguments are spelled out rather than built in
// a table for the same reason on Redis's side. The ids are looked up with one HMGET per hash and recorded with
// one HSET, not one call each: a call from the script costs Redis about as much as the lookup itself. An id
// twice in one call is appended once. Returns the number of entries appended.
const APPEND_ONCE = `
local prefix, period = ARGV[1], tonumber(ARGV[2])
local time = redis.call('TIME')
local n = math.floor((tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)) / period)
local current, previous = prefix .. n, prefix .. (n - 1)
local n1, n2, n3, n4, n5, n6, n7 = unpack(cjson.decode(ARGV[3]))
local rows = cjson.decode(ARGV[4])
local ids = {}
for i, v in ipairs(rows) do ids[i] = v[1] end
local inCurrent = redis.call('HMGET', current, unpack(ids))
local inPrevious = redis.call('HMGET', previous, unpack(ids))
local seen, added = {}, {}
local function record()
  if #added > 0 then
    redis.call('HSET', current, unpack(added))
    redis.call('PEXPIREAT', current, (n + 2) * period)
  end
end
for i, v in ipairs(rows) do
  local id = v[1]
  if not inCurrent[i] and not inPrevious[i] and not seen[id] then
    seen[id] = true
    local reply
    if n7 then
      reply = redis.pcall('XADD', KEYS[1], '*', n1, id, n2, v[2], n3, v[3], n4, v[4], n5, v[5], n6, v[6], n7, v[7])
    else
      reply = redis.pcall('XADD', KEYS[1], '*', n1, id, n2, v[2], n3, v[3], n4, v[4], n5, v[5], n6, v[6])
    end
    -- The entries appended before a failing one are recorded, so a retry does not append them again.
    if type(reply) == 'table' and reply.err then
      record()
      return reply
    end
    added[#added + 1] = id
    added[#added + 1] = '1'
  end
end
record()
return #added / 2
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
    const client = await connectRedis(url, logger, true);
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
      // A Buffer goes to the socket as it is; a long string would be copied into the command text first.
      const args = [`${stream}:seen:`, String(this.ttlMs), fields, Buffer.from(JSON.stringify(rows.slice(i, i + ENTRIES_PER_CALL)))];
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
