/**
 * TFRecord files: a sequence of frames, each `length` (uint64 little-endian), the masked CRC-32C of those 8
 * bytes, `length` bytes of data and the masked CRC-32C of the data; optionally the whole file gzip-compressed.
 * `readTfRecords` streams a file's records with both checksums verified and memory bounded by one record.
 *
 * A record whose data checksum fails is reported and skipped: its length was verified, so the next frame is
 * found. A length whose checksum fails (or a file cut short) leaves nothing to find the next frame by, so it is
 * reported as fatal and the file ends there.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { ByteQueue } from './byte-queue.js';
import { maskedCrc32c } from './crc32c.js';
import { cannotRead } from './text-lines.js';

export type TfRecordCompression = 'none' | 'gzip';

/** Frames [start, end) of an uncompressed file, the first of which is record number `firstRecord` (1-based). */
export interface TfRecordRange {
  readonly start: number;
  /** Exclusive; Infinity reads to the end of the file. */
  readonly end: number;
  readonly firstRecord: number;
}

export const WHOLE_TFRECORD_FILE: TfRecordRange = { start: 0, end: Infinity, firstRecord: 1 };

/** Records longer than this are reported and skipped rather than held in memory. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface TfRecordReadOptions {
  /** Default: told by the file (see detectTfRecordCompression). */
  readonly compression?: TfRecordCompression | undefined;
  /** Uncompressed files only; default the whole file. */
  readonly range?: TfRecordRange | undefined;
  readonly maxRecordBytes?: number | undefined;
  /** False: frames are walked (lengths still verified) without reading or checking the data. */
  readonly readData?: boolean | undefined;
}

export type TfRecordEntry = TfRecordData | TfRecordProblem;

export interface TfRecordData {
  readonly kind: 'record';
  /** 1-based number of the record in its file. */
  readonly index: number;
  /** Byte offset of the frame (in the decompressed stream for gzip files). */
  readonly offset: number;
  /** The record's bytes; empty when reading with readData false. */
  readonly data: Uint8Array;
}

export interface TfRecordProblem {
  readonly kind: 'corrupt';
  readonly index: number;
  readonly offset: number;
  readonly message: string;
  /** The frames after this one cannot be found: this is the last entry of the file. */
  readonly fatal: boolean;
}

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const READ_CHUNK_BYTES = 1 << 20;

export async function* readTfRecords(file: string, options: TfRecordReadOptions = {}): AsyncGenerator<TfRecordEntry> {
  const compression = options.compression ?? (await detectTfRecordCompression(file));
  const range = options.range ?? WHOLE_TFRECORD_FILE;
  if (compression === 'gzip' && range.start !== 0) throw new Error(`${file}: a gzip TFRecord file is read from its start`);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const readData = options.readData ?? true;
  const source = await openSource(file, compression, range);
  const queue = new ByteQueue(source.chunks[Symbol.asyncIterator]());
  let index = range.firstRecord - 1;
  const rest = `the rest of ${file} cannot be read`;
  try {
    for (;;) {
      const offset = range.start + queue.consumed;
      index++;
      let more: boolean;
      try {
        more = await queue.fill(HEADER_BYTES);
      } catch (err) {
        yield { kind: 'corrupt', index, offset, message: source.failure(err, rest), fatal: true };
        return;
      }
      if (!more) {
        if (queue.available === 0) return;
        yield {
          kind: 'corrupt',
          index,
          offset,
          message: `truncated record: the file ends ${queue.available} bytes into the 12-byte frame header (at byte ${offset}); ${rest}`,
          fatal: true,
        };
        return;
      }
      const header = queue.take(HEADER_BYTES);
      const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
      const storedLengthCrc = view.getUint32(8, true);
      const lengthCrc = maskedCrc32c(header, 0, 8);
      if (storedLengthCrc !== lengthCrc) {
        yield {
          kind: 'corrupt',
          index,
          offset,
          message: `corrupt record: the checksum of its length does not match (stored ${hex(storedLengthCrc)}, computed ${hex(lengthCrc)}), so the records after it cannot be found; ${rest}`,
          fatal: true,
        };
        return;
      }
      const length = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
      const frameRest = length + FOOTER_BYTES;
      if (!readData || length > maxRecordBytes) {
        let skipped: boolean;
        try {
          skipped = await queue.skip(frameRest);
        } catch (err) {
          yield { kind: 'corrupt', index, offset, message: source.failure(err, rest), fatal: true };
          return;
        }
        if (!skipped) {
          yield { kind: 'corrupt', index, offset, message: truncatedData(length, rest), fatal: true };
          return;
        }
        if (readData) {
          yield { kind: 'corrupt', index, offset, message: `record of ${length} bytes is longer than the limit of ${maxRecordBytes} bytes; skipped`, fatal: false };
        } else yield { kind: 'record', index, offset, data: EMPTY };
        continue;
      }
      try {
        more = await queue.fill(frameRest);
      } catch (err) {
        yield { kind: 'corrupt', index, offset, message: source.failure(err, rest), fatal: true };
        return;
      }
      if (!more) {
        yield { kind: 'corrupt', index, offset, message: truncatedData(length, rest), fatal: true };
        return;
      }
      const data = queue.take(length);
      const footer = queue.take(FOOTER_BYTES);
      const storedDataCrc = (footer[0]! | (footer[1]! << 8) | (footer[2]! << 16) | (footer[3]! << 24)) >>> 0;
      const dataCrc = maskedCrc32c(data);
      if (storedDataCrc !== dataCrc) {
        yield {
          kind: 'corrupt',
          index,
          offset,
          message: `corrupt record: the checksum of its ${length} data bytes does not match (stored ${hex(storedDataCrc)}, computed ${hex(dataCrc)})`,
          fatal: false,
        };
        continue;
      }
      yield { kind: 'record', index, offset, data };
    }
  } finally {
    source.close();
  }
}

const EMPTY = new Uint8Array(0);

function ignore(): void {}

function truncatedData(length: number, rest: string): string {
  return `truncated record: the file ends inside a record of ${length} bytes; ${rest}`;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

interface ChunkSource {
  readonly chunks: AsyncIterable<Uint8Array>;
  /** The message for an error the stream raised (a gzip stream that is not valid, a read error). */
  failure(err: unknown, rest: string): string;
  close(): void;
}

async function openSource(file: string, compression: TfRecordCompression, range: TfRecordRange): Promise<ChunkSource> {
  const end = range.end === Infinity ? undefined : range.end - 1;
  const stream = createReadStream(file, { start: range.start, end, highWaterMark: READ_CHUNK_BYTES });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(cannotRead(file, err)));
  });
  if (compression === 'none') {
    return { chunks: stream, failure: (err, rest) => `cannot read ${file}: ${(err as Error).message}; ${rest}`, close: () => stream.destroy() };
  }
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  stream.on('error', (err) => gunzip.destroy(err));
  stream.pipe(gunzip);
  return {
    chunks: gunzip,
    failure: (err, rest) => `the gzip data is not valid (${(err as Error).message}); ${rest}`,
    close: () => {
      // Errors after the reader stopped listening have no one to tell.
      stream.on('error', ignore);
      gunzip.on('error', ignore);
      stream.destroy();
      gunzip.destroy();
    },
  };
}

/**
 * Whether a TFRecord file is gzip-compressed: by its name (`.gz`, `.gzip`), else by its first bytes — the
 * gzip magic number, unless they are a frame header whose length checksum holds (a record can start 1f 8b).
 */
export async function detectTfRecordCompression(file: string): Promise<TfRecordCompression> {
  if (/\.(gz|gzip)$/i.test(file)) return 'gzip';
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw cannotRead(file, err);
  });
  try {
    const head = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEADER_BYTES, 0);
    if (bytesRead < 2 || head[0] !== GZIP_MAGIC_0 || head[1] !== GZIP_MAGIC_1) return 'none';
    if (bytesRead === HEADER_BYTES) {
      const stored = new DataView(head.buffer).getUint32(8, true);
      if (stored === maskedCrc32c(head, 0, 8)) return 'none';
    }
    return 'gzip';
  } finally {
    await handle.close();
  }
}

/** One frame around `data`, as TensorFlow's TFRecordWriter writes it. */
export function encodeTfRecord(data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES);
  const view = new DataView(frame.buffer);
  view.setUint32(0, data.length >>> 0, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(frame, 0, 8), true);
  frame.set(data, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + data.length, maskedCrc32c(data), true);
  return frame;
}
