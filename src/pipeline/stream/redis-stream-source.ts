/**
 * A Redis stream read by a consumer group: `redis://host:port/STREAM?group=G&consumer=C&claim-idle-ms=N`.
 *
 * - The group is created at the start of the stream (`XGROUP CREATE … 0 MKSTREAM`) when it does not exist,
 *   so a new group reads everything the stream holds.
 * - Each entry's field `data` is the message body (one JSON instance); an entry without it arrives with an
 *   empty body and becomes a dead letter. The event time is the entry id's millisecond part (when Redis
 *   added it, unless the producer chose the id).
 * - A consumer first re-reads its own pending entries (`XREADGROUP … 0`): with a stable `consumer=` name, a
 *   restarted worker resumes what it had not acknowledged at once. Then it reads new entries (`>`).
 * - Every `claim-idle-ms / 2` (at most 5 s) it takes over entries that another consumer, usually a dead
 *   worker, has left unacknowledged longer than `claim-idle-ms` (`XPENDING … IDLE` then `XCLAIM`, default
 *   30 s; keep it above the time a window takes, or live workers steal each other's windows — harmless with
 *   an idempotent sink, but wasted). It keeps no list of the entries it is working on: those are the ones
 *   pending under its own name.
 * - Delivery counts come from `XPENDING` for re-read and claimed entries (1 for new ones).
 * - `ack` is `XACK` (unless a Redis sink on the same server acknowledges as it writes: see
 *   redis-stream-sink.ts). Blocking reads use their own connection, so acknowledgements never wait behind them.
 *
 * Default group `millrace`; default consumer `<hostname>-<pid>`. Consumer names must differ between live workers:
 * a worker leaves alone the entries pending under its own name, taking them for its own work in flight.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../../logging/logger.js';
import { connectRedis, redisError } from './redis-connection.js';
import { intParam, parseRedisStreamUrl, type RedisStreamUrl } from './redis-stream-url.js';
import type { StreamMessage, StreamSource } from './stream-contracts.js';

export const REDIS_SOURCE_PARAMS = ['group', 'consumer', 'claim-idle-ms'] as const;
/** The entry field that holds the message body. */
export const REDIS_BODY_FIELD = 'data';

export interface RedisSourceOptions {
  /** Used when the URL has no claim-idle-ms. */
  readonly claimIdleMs: number;
  readonly logger?: Logger | undefined;
}

type Entry = [id: Buffer, fields: Buffer[] | null];
type ReadReply = Array<[key: Buffer, entries: Entry[]]> | null;

const EMPTY = new Uint8Array(0);
const ACK_CHUNK = 1000;

export class RedisStreamSource implements StreamSource {
  readonly display: string;
  /** The next id to re-read from this consumer's own pending entries; undefined once they are all read. */
  private history: string | undefined = '0-0';
  /** Where the next claim's XPENDING starts: `-`, or just past the last entry the previous one listed. */
  private claimCursor = '-';
  private nextClaimAt = 0;
  private readonly claimIntervalMs: number;

  private constructor(
    readonly url: RedisStreamUrl,
    private readonly reader: Redis,
    private readonly control: Redis,
    readonly group: string,
    readonly consumer: string,
    readonly claimIdleMs: number,
    private readonly logger: Logger,
  ) {
    this.display = url.display;
    this.claimIntervalMs = Math.max(50, Math.min(5000, Math.floor(claimIdleMs / 2)));
  }

  static async open(text: string, options: RedisSourceOptions): Promise<RedisStreamSource> {
    const url = parseRedisStreamUrl(text, 'source', REDIS_SOURCE_PARAMS);
    const group = url.params.get('group') ?? 'millrace';
    const consumer = url.params.get('consumer') ?? `${hostname()}-${process.pid}`;
    const claimIdleMs = intParam(url, 'claim-idle-ms', options.claimIdleMs, 1);
    const logger = options.logger ?? silentLogger;
    const control = await connectRedis(url, logger, true);
    let reader: Redis | undefined;
    try {
      await control.xgroup('CREATE', url.stream, group, '0', 'MKSTREAM').catch((err: Error) => {
        if (!err.message.startsWith('BUSYGROUP')) throw redisError(url, `creating consumer group ${group}`, err);
      });
      reader = await connectRedis(url, logger);
    } catch (err) {
      control.disconnect();
      throw err;
    }
    logger.log('info', 'redis_source_opened', { url: url.display, stream: url.stream, group, consumer, claim_idle_ms: claimIdleMs });
    return new RedisStreamSource(url, reader, control, group, consumer, claimIdleMs, logger);
  }

  async receive(max: number, waitMs: number): Promise<StreamMessage[]> {
    if (max < 1) return [];
    if (this.history !== undefined) {
      const own = await this.readHistory(max);
      if (own.length > 0) return own;
    }
    if (Date.now() >= this.nextClaimAt) {
      const claimed = await this.claim(max);
      if (claimed.length > 0) return claimed;
    }
    const args: Array<string | number> = ['GROUP', this.group, this.consumer, 'COUNT', max];
    // BLOCK 0 would wait forever: a zero wait is a plain, non-blocking read.
    if (waitMs > 0) args.push('BLOCK', waitMs);
    args.push('STREAMS', this.url.stream, '>');
    const reply = (await this.read(args, 'XREADGROUP')) as ReadReply;
    return this.messages(entriesOf(reply), undefined);
  }

  async ack(messages: readonly StreamMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += ACK_CHUNK) {
      const ids = messages.slice(i, i + ACK_CHUNK).map((m) => m.id);
      try {
        await this.control.xack(this.url.stream, this.group, ...ids);
      } catch (err) {
        throw redisError(this.url, 'XACK', err);
      }
    }
  }

  async close(): Promise<void> {
    // A blocking read may be waiting on the reader: drop it rather than wait it out.
    this.reader.disconnect();
    await this.control.quit().catch(() => this.control.disconnect());
  }

  /** This consumer's own pending entries, oldest first, from before a restart. */
  private async readHistory(max: number): Promise<StreamMessage[]> {
    const reply = (await this.read(['GROUP', this.group, this.consumer, 'COUNT', max, 'STREAMS', this.url.stream, this.history!], 'XREADGROUP')) as ReadReply;
    const entries = entriesOf(reply);
    if (entries.length === 0) {
      this.history = undefined;
      return [];
    }
    this.history = entries[entries.length - 1]![0].toString();
    const messages = await this.messages(entries, await this.deliveryCounts(entries));
    if (messages.length > 0) this.logger.log('info', 'redis_source_resumed', { url: this.display, consumer: this.consumer, entries: messages.length });
    return messages;
  }

  /**
   * Entries other consumers (usually a dead worker) left pending longer than claim-idle-ms, now this consumer's.
   * XPENDING's IDLE filter lists them with their owners and delivery counts; this consumer's own entries among
   * them are ones it is still working on (its earlier ones were all re-read at the start), so they are left
   * alone. XCLAIM takes the rest, and checks the idle time again: an entry another worker took in between
   * is not taken twice.
   */
  private async claim(max: number): Promise<StreamMessage[]> {
    let rows: Array<[id: string, consumer: string, idleMs: number, deliveries: number]>;
    try {
      rows = (await this.control.xpending(this.url.stream, this.group, 'IDLE', this.claimIdleMs, this.claimCursor, '+', max)) as typeof rows;
    } catch (err) {
      throw redisError(this.url, 'XPENDING', err);
    }
    // The next claim lists the next page; after the last one, it starts over once claimIntervalMs has passed.
    const nextPage = (): void => {
      if (rows.length < max) {
        this.claimCursor = '-';
        this.nextClaimAt = Date.now() + this.claimIntervalMs;
      } else {
        this.claimCursor = `(${rows[rows.length - 1]![0]}`;
      }
    };
    const theirs = rows.filter(([, consumer]) => consumer !== this.consumer);
    if (theirs.length === 0) {
      nextPage();
      return [];
    }
    let reply: unknown;
    try {
      reply = await this.reader.callBuffer('XCLAIM', this.url.stream, this.group, this.consumer, this.claimIdleMs, ...theirs.map(([id]) => id));
    } catch (err) {
      throw redisError(this.url, 'XCLAIM', err);
    }
    nextPage();
    // XCLAIM counts this delivery. Redis 7 leaves deleted entries out of the reply (and off the pending list).
    const deliveries = new Map(theirs.map(([id, , , count]) => [id, Number(count) + 1]));
    const claimed = (reply as Array<Entry | null>).filter((entry): entry is Entry => entry !== null);
    if (claimed.length === 0) return [];
    const messages = await this.messages(claimed, deliveries);
    this.logger.log('info', 'redis_source_claimed', { url: this.display, consumer: this.consumer, entries: messages.length, claim_idle_ms: this.claimIdleMs });
    return messages;
  }

  /** Delivery counts of entries pending on this consumer, by id. */
  private async deliveryCounts(entries: readonly Entry[]): Promise<Map<string, number>> {
    const first = entries[0]![0].toString();
    const last = entries[entries.length - 1]![0].toString();
    let rows: unknown;
    try {
      // Between the first and last id of a re-read, this consumer's pending entries are exactly the re-read ones.
      rows = await this.control.xpending(this.url.stream, this.group, first, last, entries.length, this.consumer);
    } catch (err) {
      throw redisError(this.url, 'XPENDING', err);
    }
    return new Map((rows as Array<[string, string, number, number]>).map(([id, , , deliveries]) => [id, Number(deliveries)]));
  }

  private async messages(entries: readonly Entry[], deliveries: Map<string, number> | undefined): Promise<StreamMessage[]> {
    const messages: StreamMessage[] = [];
    const deleted: string[] = [];
    for (const [rawId, fields] of entries) {
      // Entry ids are ASCII (`<ms>-<seq>`): latin1 reads them without UTF-8 decoding.
      const id = rawId.toString('latin1');
      // A re-read entry that was deleted (XDEL, trimming) comes back without fields: nothing to predict.
      if (fields === null) {
        deleted.push(id);
        continue;
      }
      messages.push({ id, body: bodyOf(fields), eventTimeMs: idMilliseconds(rawId), deliveries: deliveries?.get(id) ?? 1 });
    }
    if (deleted.length > 0) {
      await this.control.xack(this.url.stream, this.group, ...deleted).catch(() => undefined);
      this.logger.log('warn', 'redis_source_deleted_entries', { url: this.display, ids: deleted.slice(0, 10), count: deleted.length });
    }
    return messages;
  }

  private async read(args: Array<string | number>, command: string): Promise<unknown> {
    try {
      return await this.reader.callBuffer(command, ...args);
    } catch (err) {
      throw redisError(this.url, command, err);
    }
  }
}

function entriesOf(reply: ReadReply): Entry[] {
  return reply === null || reply.length === 0 ? [] : reply[0]![1];
}

/** The milliseconds part of an entry id (`<ms>-<seq>`), read from its digits: no substring, no string-to-number conversion. */
function idMilliseconds(rawId: Buffer): number {
  let ms = 0;
  for (let i = 0; i < rawId.length; i++) {
    const c = rawId[i]!;
    if (c === 0x2d) break;
    ms = ms * 10 + (c - 0x30);
  }
  return ms;
}

const BODY_FIELD_BYTES = Buffer.from(REDIS_BODY_FIELD);

/** The `data` field's value; fields alternate name, value. Names are compared as bytes: no string per entry. */
function bodyOf(fields: readonly Buffer[]): Uint8Array {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (isBodyField(fields[i]!)) return fields[i + 1]!;
  }
  return EMPTY;
}

function isBodyField(name: Buffer): boolean {
  if (name.length !== BODY_FIELD_BYTES.length) return false;
  for (let i = 0; i < name.length; i++) if (name[i] !== BODY_FIELD_BYTES[i]) return false;
  return true;
}
