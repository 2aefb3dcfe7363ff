/**
 * The standard input (`stdin` or `-`) or a file (a path, or `file:///path`) as a stream source: one JSON
 * instance per line, read as it arrives (a file being appended to is read up to its current end).
 *
 * - Message id: the 1-based line number on stdin; `ABSOLUTE_PATH:line` for a file, so that running the same file
 *   again (from any directory) gives the same ids and the sink's dedup keeps one row per line. Blank lines are
 *   skipped but counted, so ids stay line numbers.
 * - Event time: when the line was read (a line carries no publish time).
 * - Acknowledgement: there is no broker to tell, so `ack` only forgets the message. The runner's contract still
 *   holds: a line handed out and not acknowledged within `ackWaitMs` is handed out again with `deliveries` one
 *   higher (see RedeliveryLedger). After a crash, a file is read again from its first line and the idempotent
 *   sink absorbs the lines already written; lines read from stdin and not yet written are lost with the process
 *   unless the producer sends them again.
 * - At the end of the input `receive` returns no messages (after waiting `waitMs`, so a polling loop does not
 *   spin) and `exhausted` turns true once every line has been acknowledged.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ServingError } from '../../errors/serving-error.js';
import { cannotRead } from '../../readers/text-lines.js';
import { TIMED_OUT, readyOrTimeout } from './ready-or-timeout.js';
import { RedeliveryLedger, type LedgerEntry } from './redelivery-ledger.js';
import type { StreamMessage, StreamSource } from './stream-contracts.js';

export interface LineSourceOptions {
  /** A message not acknowledged this long is handed out again (default 30 s; `--claim-idle-ms`). */
  readonly ackWaitMs?: number | undefined;
  /** A longer line is refused with an error rather than buffered without bound (default 16 MiB). */
  readonly maxLineBytes?: number | undefined;
  readonly now?: (() => number) | undefined;
}

export const DEFAULT_LINE_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

export class LineSource implements StreamSource {
  readonly display: string;
  private readonly chunks: AsyncIterator<Uint8Array>;
  private pendingChunk: Promise<IteratorResult<Uint8Array>> | undefined;
  /** Lines read and not yet handed out: `ready[readyHead…]`. */
  private ready: StreamMessage[] = [];
  private readyHead = 0;
  /** The bytes of an unfinished line, across chunks. */
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private lineNumber = 0;
  private ended = false;
  private closed = false;
  private readonly ledger: RedeliveryLedger<LedgerEntry>;
  private readonly maxLineBytes: number;
  private readonly now: () => number;

  /** `idPrefix`: prepended to the line number (`/abs/file.jsonl:` for a file, empty for stdin). */
  constructor(
    private readonly input: Readable,
    private readonly idPrefix: string,
    display: string,
    options: LineSourceOptions = {},
  ) {
    this.display = display;
    this.now = options.now ?? Date.now;
    this.ledger = new RedeliveryLedger(options.ackWaitMs ?? DEFAULT_LINE_ACK_WAIT_MS, this.now);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.chunks = (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  }

  /** `stdin`/`-` or a file path (`file://` URLs too); a missing file is a NOT_FOUND error naming it. */
  static async open(location: string, options: LineSourceOptions = {}): Promise<LineSource> {
    const text = location.trim();
    if (text === 'stdin' || text === '-') return new LineSource(process.stdin, '', 'stdin', options);
    const path = resolve(/^file:\/\//i.test(text) ? fileURLToPath(text) : text);
    try {
      const info = await stat(path);
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      throw cannotRead(text, err);
    }
    return new LineSource(createReadStream(path), `${path}:`, path, options);
  }

  /** The input ended and every line of it was acknowledged. */
  get exhausted(): boolean {
    return this.ended && this.readyHead === this.ready.length && this.ledger.size === 0;
  }

  async receive(max: number, waitMs: number): Promise<StreamMessage[]> {
    if (this.closed) throw new ServingError('FAILED_PRECONDITION', `${this.display}: the source is closed`);
    const deadline = this.now() + Math.max(0, waitMs);
    let first = true;
    for (;;) {
      const out = this.ledger.takeExpired(max, (_, message) => ({ message })).map((entry) => entry.message);
      while (out.length < max && this.readyHead < this.ready.length) {
        const message = this.ready[this.readyHead++]!;
        this.ledger.handOut({ message });
        out.push(message);
      }
      if (this.readyHead === this.ready.length && this.readyHead > 0) {
        this.ready = [];
        this.readyHead = 0;
      }
      if (out.length > 0) return out;
      const remaining = deadline - this.now();
      if (remaining <= 0 && !first) return [];
      first = false;
      const redeliveryIn = (this.ledger.nextDeadline() ?? Number.POSITIVE_INFINITY) - this.now();
      const wait = Math.max(0, Math.min(remaining, redeliveryIn));
      if (this.ended) {
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (this.now() >= deadline) return [];
        continue;
      }
      await this.readChunk(wait);
    }
  }

  async ack(messages: readonly StreamMessage[]): Promise<void> {
    for (const message of messages) this.ledger.remove(message.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pendingChunk?.catch(() => undefined);
    if (this.input !== process.stdin) this.input.destroy();
    else this.input.pause();
  }

  /** Waits up to `waitMs` for the next chunk of input and splits it into lines. */
  private async readChunk(waitMs: number): Promise<void> {
    this.pendingChunk ??= this.chunks.next();
    let result: IteratorResult<Uint8Array> | typeof TIMED_OUT;
    try {
      result = await readyOrTimeout(this.pendingChunk, waitMs);
    } catch (err) {
      this.pendingChunk = undefined;
      throw new ServingError('DATA_LOSS', `${this.display}: reading failed after line ${this.lineNumber}: ${(err as Error).message}`);
    }
    if (result === TIMED_OUT) return;
    this.pendingChunk = undefined;
    const readAt = this.now();
    if (result.done === true) {
      this.ended = true;
      if (this.partialBytes > 0) this.addLine(this.takePartial(new Uint8Array(0)), readAt);
      return;
    }
    this.split(result.value, readAt);
  }

  private split(chunk: Uint8Array, readAt: number): void {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.checkLength(this.partialBytes + nl - start);
      this.addLine(this.takePartial(chunk.subarray(start, nl)), readAt);
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.checkLength(this.partialBytes + chunk.length - start);
      this.partial.push(chunk.subarray(start));
      this.partialBytes += chunk.length - start;
    }
  }

  private takePartial(tail: Uint8Array): Uint8Array {
    if (this.partial.length === 0) return tail;
    const whole = Buffer.concat([...this.partial, tail]);
    this.partial = [];
    this.partialBytes = 0;
    return whole;
  }

  private addLine(bytes: Uint8Array, readAt: number): void {
    this.lineNumber++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    // A UTF-8 byte order mark before the first line is not part of the instance.
    const begin = this.lineNumber === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const body = bytes.subarray(begin, end);
    if (isBlank(body)) return;
    this.ready.push({ id: `${this.idPrefix}${this.lineNumber}`, body, eventTimeMs: readAt, deliveries: 1 });
  }

  private checkLength(bytes: number): void {
    if (bytes > this.maxLineBytes) {
      throw new ServingError('INVALID_ARGUMENT', `${this.display}: line ${this.lineNumber + 1} is longer than ${this.maxLineBytes} bytes (the longest line accepted)`);
    }
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}
