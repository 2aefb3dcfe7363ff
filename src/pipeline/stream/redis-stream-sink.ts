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

/** Entries per script call, so one call never holds Redis for long. */
const ENTRIES_PER_CALL = 500;
/** Values per entry in the script's argument: what differs from record to record (the rest is per call). */
const RECORD_WIDTH = 5;
const LETTER_WIDTH = 6;

// KEYS[1]: the stream. ARGV: dedup key prefix, dedup period (ms), the kind of entry ('records' or 'letters'),
// the entries' values as one flat JSON array of strings (RECORD_WIDTH or LETTER_WIDTH per entry, the message
// id first) and, for records, the model name and version shared by every entry of the call. One JSON argument
// rather than one argument per value costs the client far less to send; one flat array rather than one array
// per entry, and the model's name and version once per call, cost Redis less to decode. XADD's arguments are
// spelled out rather than built in a table for the same reason. The ids are looked up with one HMGET per hash
// and recorded with one HSET, not one call each: a call from the script costs Redis about as much as the
// lookup itself. An id twice in one call is appended once. Returns the number of entries appended.
const APPEND_ONCE = `
local prefix, period, kind = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local time = redis.call('TIME')
local n = math.floor((tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)) / period)
local current, previous = prefix .. n, prefix .. (n - 1)
local values = cjson.decode(ARGV[4])
local modelName, modelVersion = ARGV[5], ARGV[6]
local width = kind == 'records' and ${RECORD_WIDTH} or ${LETTER_WIDTH}
local ids = {}
for at = 1, #values, width do ids[#ids + 1] = values[at] end
local inCurrent = redis.call('HMGET', current, unpack(ids))
local inPrevious = redis.call('HMGET', previous, unpack(ids))
local seen, added = {}, {}
local function record()
  if #added > 0 then
    redis.call('HSET', current, unpack(added))
    redis.call('PEXPIREAT', current, (n + 2) * period)
  end
end
for i, id in ipairs(ids) do
  if not inCurrent[i] and not inPrevious[i] and not seen[id] then
    seen[id] = true
    local at, reply = (i - 1) * width
    if kind == 'records' then
      reply = redis.pcall('XADD', KEYS[1], '*', 'message_id', id, 'instance', values[at + 2], 'prediction', values[at + 3],
        'model_name', modelName, 'model_version', modelVersion, 'event_time_ms', values[at + 4], 'prediction_time_ms', values[at + 5])
    else
      reply = redis.pcall('XADD', KEYS[1], '*', 'message_id', id, 'body', values[at + 2], 'error', values[at + 3],
        'deliveries', values[at + 4], 'event_time_ms', values[at + 5], 'failed_time_ms', values[at + 6])
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
    // One call per run of records of the same model version (and at most ENTRIES_PER_CALL): the script takes the
    // model's name and version once per call.
    for (let start = 0; start < records.length; ) {
      const first = records[start]!;
      let end = start + 1;
      while (end < records.length && end - start < ENTRIES_PER_CALL && records[end]!.modelVersion === first.modelVersion && records[end]!.modelName === first.modelName) end++;
      const values: string[] = [];
      for (let i = start; i < end; i++) {
        const r = records[i]!;
        values.push(r.messageId, r.instance, r.prediction, String(r.eventTimeMs), String(r.predictionTimeMs));
      }
      await this.append(this.records, 'records', values, first.modelName, String(first.modelVersion));
      start = end;
    }
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    for (let start = 0; start < letters.length; start += ENTRIES_PER_CALL) {
      const values: string[] = [];
      for (const l of letters.slice(start, start + ENTRIES_PER_CALL)) values.push(l.messageId, l.body, l.error, String(l.deliveries), String(l.eventTimeMs), String(l.failedTimeMs));
      await this.append(this.letters, 'letters', values);
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** `values`: RECORD_WIDTH or LETTER_WIDTH per entry; `shared`: the model's name and version for records. */
  private async append(stream: string, kind: 'records' | 'letters', values: readonly string[], ...shared: string[]): Promise<void> {
    // A Buffer goes to the socket as it is; a long string would be copied into the command text first.
    const args = [`${stream}:seen:`, String(this.ttlMs), kind, Buffer.from(JSON.stringify(values)), ...shared];
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
