import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ServingError } from '../../errors/serving-error.js';

/**
 * Reads a request body up to `limitBytes`, gunzipping it when the client says `Content-Encoding: gzip`
 * (the uncompressed size is held to the same limit). Too large → RESOURCE_EXHAUSTED naming the flag.
 */
export function readRequestBody(request: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limitBytes) return Promise.reject(tooLarge(limitBytes));
  // One promise and plain 'data'/'end' listeners: cheaper than an async function or an async iterator.
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      const encoding = request.headers['content-encoding'];
      if (encoding === undefined || !encoding.toLowerCase().includes('gzip')) resolve(body);
      else {
        try {
          resolve(gunzip(body, limitBytes));
        } catch (err) {
          reject(err);
        }
      }
    });
    request.on('error', reject);
  });
}

function gunzip(body: Buffer, limitBytes: number): Uint8Array {
  try {
    return gunzipSync(body, { maxOutputLength: limitBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limitBytes);
    throw new ServingError('INVALID_ARGUMENT', `Failed to gunzip the request body: ${(err as Error).message}`);
  }
}

function tooLarge(limitBytes: number): ServingError {
  return new ServingError(
    'RESOURCE_EXHAUSTED',
    `Request body is larger than the limit of ${limitBytes} bytes (set by --rest_api_max_body_bytes)`,
  );
}
