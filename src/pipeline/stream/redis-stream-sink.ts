/**
 * Predictions appended to a Redis stream: `redis://host:port/STREAM?dedup-ttl-ms=N`. Each record becomes one
 * entry with the fields `message_id`, `instance`, `prediction` (JSON text), `model_name`, `model_version`,
 * `event_time_ms` and `prediction_time_ms` (epoch milliseconds; the names of the NATS and Kafka sinks' JSON).
 * Dead letters go to `STREAM:dead-letters` with `message_id`, `body`, `error`, `deliveries`, `event_time_ms`
 * and `failed_time_ms`.
 *
 * Idempotency, in one of two ways; both run as a Lua script, atomic in Redis, so two workers racing on one
 * message append it once:
 *
 * - **Acknowledging** (`acknowledgeFor`: the source is a Redis stream on this same server): for each entry the
 *   script acknowledges the source message (XACK) and appends only when that XACK took it off the pending
 *   list. A message whose entry is appended is acknowledged in the same step, so it is never delivered again,
 *   and a message acknowledged already (another worker appended it, or it came twice in one write) is not
 *   appended again: exactly one entry per message, however often it is redelivered or whichever worker
 *   finishes it. Nothing else is kept, and the worker sends no XACK of its own. The script checks the target's
 *   type before acknowledging anything, since an XADD that failed after its XACK would lose the message (what
 *   else fails an XADD with `*` — a stream past the last possible id — cannot happen to an entry id taken
 *   from the clock; checking each id with XPENDING first would cost Redis about 40% more per entry). The
 *   pending list is per consumer group: another group reading the same source, or a group created again from
 *   the start, appends its own entries.
 * - **Dedup hashes** (any other source): the script appends a record only when its message id is in neither
 *   of the two newest dedup hashes, `STREAM:seen:<n>` and `STREAM:seen:<n-1>`, where n is Redis's clock
 *   divided by `dedup-ttl-ms` (default one day), then records the id in hash n. Each hash expires two periods
 *   after it began, so a repeat within `dedup-ttl-ms` of the first write is always caught (an older one would
 *   be appended again). The XADDs come before the HSET so that a failing XADD records nothing. Hash fields
 *   cost Redis much less than one key with a time to live per message. The script touches keys it does not
 *   declare, so this way needs a single Redis server, not a cluster.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { packValues, type PackedValues } from './packed-values.js';
import { connectRedis, redisError } from './redis-connection.js';
import type { RedisStreamSource } from './redis-stream-source.js';
import { intParam, parseRedisStreamUrl, sameRedisServer, type RedisStreamUrl } from './redis-stream-url.js';
import type { DeadLetter, PredictionRecord, StreamSink } from './stream-contracts.js';
import type { SinkRole } from './stream-endpoints.js';

export const REDIS_SINK_PARAMS = ['dedup-ttl-ms'] as const;
export const DEFAULT_DEDUP_TTL_MS = 86_400_000;

/** Entries per script call, so one call never holds Redis for long. */
const ENTRIES_PER_CALL = 500;
/**
 * Values per entry in the script's argument: what differs from record to record (the model's name and version
 * are passed once per call). The message id comes first.
 */
const RECORD_WIDTH = 5;
const LETTER_WIDTH = 6;
// struct.unpack returns all of a call's values at once, and Lua's stack holds about 8000.
if (ENTRIES_PER_CALL * Math.max(RECORD_WIDTH, LETTER_WIDTH) > 7000) throw new Error('a Redis sink call would unpack too many values');

// Shared by both scripts. ARGV[1]: 'records' or 'letters'; ARGV[2], ARGV[3]: the entries' values, packed by
// packValues (RECORD_WIDTH or LETTER_WIDTH per entry); ARGV[4], ARGV[5]: for records, the model name and
// version shared by every entry of the call. XADD's arguments are spelled out rather than built in a table:
// that costs Redis less.
const UNPACK_AND_APPEND = `
local kind, modelName, modelVersion = ARGV[1], ARGV[4], ARGV[5]
local width = kind == 'records' and ${RECORD_WIDTH} or ${LETTER_WIDTH}
local values = {struct.unpack(ARGV[2], ARGV[3])}
-- The last value struct.unpack returns is the position after the bytes it read.
values[#values] = nil
local function append(at)
  if kind == 'records' then
    return redis.pcall('XADD', KEYS[1], '*', 'message_id', values[at], 'instance', values[at + 1], 'prediction', values[at + 2],
      'model_name', modelName, 'model_version', modelVersion, 'event_time_ms', values[at + 3], 'prediction_time_ms', values[at + 4])
  end
  return redis.pcall('XADD', KEYS[1], '*', 'message_id', values[at], 'body', values[at + 1], 'error', values[at + 2],
    'deliveries', values[at + 3], 'event_time_ms', values[at + 4], 'failed_time_ms', values[at + 5])
end
`;

// KEYS[1]: the stream; KEYS[2]: the source stream. ARGV as above, then ARGV[6]: the source's consumer group.
// Returns the number of entries appended and the ids of those skipped (their messages were acknowledged already).
const APPEND_AND_ACKNOWLEDGE = `${UNPACK_AND_APPEND}
local group = ARGV[6]
local keyType = redis.call('TYPE', KEYS[1])['ok']
if keyType ~= 'stream' and keyType ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' holds a ' .. keyType .. ', not a stream')
end
local appended, skipped = 0, {}
for at = 1, #values, width do
  if redis.call('XACK', KEYS[2], group, values[at]) == 1 then
    local reply = append(at)
    if type(reply) == 'table' and reply.err then return reply end
    appended = appended + 1
  else
    skipped[#skipped + 1] = values[at]
  end
end
return {appended, unpack(skipped)}
`;

// KEYS[1]: the stream. ARGV as above, then ARGV[6]: the dedup key prefix, ARGV[7]: the dedup period (ms). The
// ids are looked up with one HMGET per hash and recorded with one HSET, not one call each: a call from the
// script costs Redis about as much as the lookup itself. An id twice in one call is appended once. Returns
// the number of entries appended.
const APPEND_ONCE = `${UNPACK_AND_APPEND}
local prefix, period = ARGV[6], tonumber(ARGV[7])
local time = redis.call('TIME')
local n = math.floor((tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)) / period)
local current, previous = prefix .. n, prefix .. (n - 1)
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
    local reply = append((i - 1) * width + 1)
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

const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');
const APPEND_ONCE_SHA = sha1(APPEND_ONCE);
const APPEND_AND_ACKNOWLEDGE_SHA = sha1(APPEND_AND_ACKNOWLEDGE);

/** A time in epoch milliseconds as text, remembered for the next record with the same time. */
class TimeText {
  private ms = Number.NaN;
  private text = '';

  of(ms: number): string {
    if (ms !== this.ms) {
      this.ms = ms;
      this.text = String(ms);
    }
    return this.text;
  }
}

/** The source whose messages the sink acknowledges as it appends their entries. */
interface AcknowledgedSource {
  readonly stream: string;
  readonly group: string;
}

export class RedisStreamSink implements StreamSink {
  readonly display: string;
  private acknowledged: AcknowledgedSource | undefined;

  private constructor(
    private readonly url: RedisStreamUrl,
    private readonly client: Redis,
    private readonly records: string,
    private readonly letters: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.display = url.display;
  }

  /** `role` dead-letters: the URL's stream holds the dead letters themselves. */
  static async open(text: string, role: SinkRole, logger: Logger = silentLogger): Promise<RedisStreamSink> {
    const url = parseRedisStreamUrl(text, 'sink', REDIS_SINK_PARAMS);
    const ttlMs = intParam(url, 'dedup-ttl-ms', DEFAULT_DEDUP_TTL_MS, 1);
    const client = await connectRedis(url, logger, true);
    const letters = role === 'dead-letters' ? url.stream : `${url.stream}:dead-letters`;
    return new RedisStreamSink(url, client, url.stream, letters, ttlMs, logger);
  }

  /** True once the sink acknowledges the source's messages itself (see `acknowledgeFor`). */
  get acknowledgesSource(): boolean {
    return this.acknowledged !== undefined;
  }

  /**
   * Makes every write also acknowledge the messages it holds, in the same script, when the source is a Redis
   * stream on this sink's server (the same host, port, database and user); otherwise nothing changes. From then on,
   * the runner leaves acknowledging to the sink, and duplicates are caught by the source's pending list
   * instead of the dedup hashes.
   */
  acknowledgeFor(source: RedisStreamSource): void {
    if (!sameRedisServer(source.url, this.url)) return;
    this.acknowledged = { stream: source.url.stream, group: source.group };
    this.logger.log('info', 'redis_sink_acknowledges_source', { sink: this.display, source: source.display, group: source.group });
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    // One call per run of records of the same model version (and at most ENTRIES_PER_CALL): the script takes the
    // model's name and version once per call.
    for (let start = 0; start < records.length; ) {
      const first = records[start]!;
      let end = start + 1;
      while (end < records.length && end - start < ENTRIES_PER_CALL && records[end]!.modelVersion === first.modelVersion && records[end]!.modelName === first.modelName) end++;
      const values = new Array<string>((end - start) * RECORD_WIDTH);
      // The records of a window share their prediction time, and messages of one millisecond their event time:
      // each time is turned into text once per run of equal ones.
      const eventTime = new TimeText();
      const predictionTime = new TimeText();
      for (let i = start, at = 0; i < end; i++) {
        const r = records[i]!;
        values[at++] = r.messageId;
        values[at++] = r.instance;
        values[at++] = r.prediction;
        values[at++] = eventTime.of(r.eventTimeMs);
        values[at++] = predictionTime.of(r.predictionTimeMs);
      }
      await this.append(this.records, 'records', packValues(values), first.modelName, String(first.modelVersion));
      start = end;
    }
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    for (let start = 0; start < letters.length; start += ENTRIES_PER_CALL) {
      const values: string[] = [];
      for (const l of letters.slice(start, start + ENTRIES_PER_CALL)) values.push(l.messageId, l.body, l.error, String(l.deliveries), String(l.eventTimeMs), String(l.failedTimeMs));
      await this.append(this.letters, 'letters', packValues(values), '', '');
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** `packed`: RECORD_WIDTH or LETTER_WIDTH values per entry, the message id first; the model's name and version for records. */
  private async append(stream: string, kind: 'records' | 'letters', packed: PackedValues, modelName: string, modelVersion: string): Promise<void> {
    const shared = [kind, packed.format, packed.bytes, modelName, modelVersion];
    const source = this.acknowledged;
    try {
      if (source === undefined) {
        await this.run(APPEND_ONCE, APPEND_ONCE_SHA, [stream], [...shared, `${stream}:seen:`, String(this.ttlMs)]);
        return;
      }
      const [, ...skipped] = (await this.run(APPEND_AND_ACKNOWLEDGE, APPEND_AND_ACKNOWLEDGE_SHA, [stream, source.stream], [...shared, source.group])) as [number, ...string[]];
      if (skipped.length > 0) {
        // Messages another worker took over and appended first (this one was slow), or a redelivered message twice
        // in one write: not lost, not doubled.
        this.logger.log('warn', 'redis_sink_skipped_acknowledged', { stream, entries: skipped.length, message_ids: skipped.slice(0, 10) });
      }
    } catch (err) {
      throw redisError(this.url, `appending to stream ${stream}`, err);
    }
  }

  /** Runs a script by its digest, loading it first if this server has not seen it. */
  private run(script: string, sha: string, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<unknown> {
    return this.client.evalsha(sha, keys.length, ...keys, ...args).catch((err: Error) => {
      if (!err.message.startsWith('NOSCRIPT')) throw err;
      return this.client.eval(script, keys.length, ...keys, ...args);
    });
  }
}
