/**
 * Writes served requests to JSON lines files in a directory, off the request path: `record` only queues the
 * request (its decoded input tensors) and returns; a background loop turns queued requests into lines and
 * appends them in chunks. The queue is bounded by the input bytes it holds: a request that does not fit is
 * dropped and counted, never waited for. Files rotate by size. The file being written is named `_requests-…`
 * (readers of directories, `millrace stats` included, skip names starting with `_`) and takes its final name
 * `requests-<UTC start time>-<host>-<pid>-<sequence>.jsonl` when it is full or the log closes.
 */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ServingError } from '../../errors/serving-error.js';
import type { Tensor } from '../../tensor/tensor.js';
import { requestLogLines, type LoggedRequest } from './request-log-rows.js';

export const DEFAULT_REQUEST_LOG_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_REQUEST_LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/** Lines gathered before one write to the file. */
const CHUNK_CHARS = 256 * 1024;
/** A request's share of the queue bound beyond its tensor bytes (names, shapes, bookkeeping). */
const REQUEST_OVERHEAD_BYTES = 256;

export interface RequestLogOptions {
  readonly dir: string;
  /** A file is closed and renamed once it holds this many bytes (it may pass it by one chunk of lines). */
  readonly maxFileBytes: number;
  /** Input bytes of requests queued and not yet written, beyond which requests are dropped. */
  readonly maxBufferedBytes: number;
  /** Told of each request written or dropped (for the request_log_count metric). */
  readonly onLogged?: (modelName: string) => void;
  readonly onDropped?: (modelName: string, reason: string) => void;
}

interface Queued {
  readonly request: LoggedRequest;
  readonly bytes: number;
}

export class RequestLogWriter {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private draining: Promise<void> | undefined;
  private file: { handle: FileHandle; name: string; bytes: number } | undefined;
  private sequence = 0;
  private closed = false;

  private constructor(private readonly options: RequestLogOptions) {}

  static async open(options: RequestLogOptions): Promise<RequestLogWriter> {
    await mkdir(options.dir, { recursive: true }).catch((err: Error) => {
      throw new ServingError('INVALID_ARGUMENT', `cannot create the request log directory ${options.dir}: ${err.message}`);
    });
    return new RequestLogWriter(options);
  }

  /** Queues a request; false when it was dropped because the queue is full or the log is closed. */
  record(request: LoggedRequest): boolean {
    const bytes = inputBytes(request.inputs) + REQUEST_OVERHEAD_BYTES;
    if (this.closed || this.queuedBytes + bytes > this.options.maxBufferedBytes) {
      this.options.onDropped?.(request.model.name, this.closed ? 'closed' : 'full');
      return false;
    }
    this.queue.push({ request, bytes });
    this.queuedBytes += bytes;
    // The lines are made after this call returns: the request's own path only pays for the push.
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
      });
    return true;
  }

  /** Writes what is queued, then closes and renames the current file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining !== undefined) await this.draining;
    await this.finishFile();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      let text = '';
      const models: string[] = [];
      while (this.queue.length > 0 && text.length < CHUNK_CHARS) {
        const { request, bytes } = this.queue.shift() as Queued;
        this.queuedBytes -= bytes;
        text += requestLogLines(request);
        models.push(request.model.name);
      }
      try {
        await this.append(text);
        for (const model of models) this.options.onLogged?.(model);
      } catch (err) {
        for (const model of models) this.options.onDropped?.(model, `write failed: ${(err as Error).message}`);
        await this.finishFile().catch(() => undefined);
      }
    }
  }

  private async append(text: string): Promise<void> {
    if (this.file === undefined) {
      // Host and process keep the names of replicas that share a directory apart.
      const name = `requests-${fileTime(new Date())}-${hostname()}-${process.pid}-${String(++this.sequence).padStart(6, '0')}.jsonl`;
      this.file = { handle: await open(join(this.options.dir, `_${name}`), 'a'), name, bytes: 0 };
    }
    const { bytesWritten } = await this.file.handle.write(text);
    this.file.bytes += bytesWritten;
    if (this.file.bytes >= this.options.maxFileBytes) await this.finishFile();
  }

  private async finishFile(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    await file.handle.close();
    await rename(join(this.options.dir, `_${file.name}`), join(this.options.dir, file.name));
  }
}

function inputBytes(inputs: ReadonlyMap<string, Tensor>): number {
  let bytes = 0;
  for (const tensor of inputs.values()) {
    const data = tensor.data;
    if (Array.isArray(data)) for (const b of data) bytes += b.byteLength + 16;
    else bytes += data.byteLength;
  }
  return bytes;
}

/** 20261122T031500123Z: sorts by time as text. */
function fileTime(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}
