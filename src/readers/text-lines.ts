/**
 * The lines of a text file (or of a byte range of it) with their 1-based line numbers, read as a stream so
 * memory holds one line at a time. A UTF-8 byte order mark at the start of the file is dropped.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ServingError } from '../errors/serving-error.js';
import { streamRange, WHOLE_FILE, type ByteRange } from './byte-range.js';

export interface TextLine {
  readonly line: number;
  readonly text: string;
}

export async function* readTextLines(file: string, range: ByteRange = WHOLE_FILE): AsyncGenerator<TextLine> {
  const stream = await openStream(file, range);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = range.firstLine - 1;
  try {
    for await (const text of lines) {
      line++;
      yield { line, text: line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Opens the file, turning "cannot open" into one error that names the file. */
export async function openStream(file: string, range: ByteRange): Promise<ReadStream> {
  const stream = createReadStream(file, streamRange(range));
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(cannotRead(file, err)));
  });
  return stream;
}

export function cannotRead(file: string, err: unknown): ServingError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
  return new ServingError('NOT_FOUND', `cannot read ${file}: ${why}`);
}
