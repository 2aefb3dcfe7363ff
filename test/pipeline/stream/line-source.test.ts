// The stdin / file stream source: exact ids, bodies, waiting, redelivery without ack and the end of input.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSource } from '../../../src/pipeline/stream/line-source.js';
import type { StreamMessage } from '../../../src/pipeline/stream/stream-contracts.js';

let dir: string;
const text = (m: StreamMessage): string => new TextDecoder().decode(m.body);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'millrace-lines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drain(source: LineSource, max = 1000): Promise<StreamMessage[]> {
  const out: StreamMessage[] = [];
  for (let got = await source.receive(max, 50); got.length > 0; got = await source.receive(max, 50)) out.push(...got);
  return out;
}

describe('line source on a file', () => {
  it('ids are ABSOLUTE_PATH:line; blank lines are skipped but counted; CRLF, a BOM and a last line without newline are handled', async () => {
    const file = join(dir, 'rows.jsonl');
    await writeFile(file, '\uFEFF{"x":1}\r\n{"x":2}\n\n   \n{"x":5}\n{"x":6}');
    const before = Date.now();
    const source = await LineSource.open(relative(process.cwd(), file));
    try {
      expect(source.display).toBe(file);
      const got = await drain(source);
      expect(got.map((m) => [m.id, text(m), m.deliveries])).toEqual([
        [`${file}:1`, '{"x":1}', 1],
        [`${file}:2`, '{"x":2}', 1],
        [`${file}:5`, '{"x":5}', 1],
        [`${file}:6`, '{"x":6}', 1],
      ]);
      for (const m of got) {
        expect(m.eventTimeMs).toBeGreaterThanOrEqual(before);
        expect(m.eventTimeMs).toBeLessThanOrEqual(Date.now());
      }
      expect(source.exhausted).toBe(false);
      await source.ack(got);
      expect(source.exhausted).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('takes file:// URLs and hands out at most `max` per receive, in order', async () => {
    const file = join(dir, 'ten.jsonl');
    await writeFile(file, Array.from({ length: 10 }, (_, i) => `[${i}]\n`).join(''));
    const source = await LineSource.open(pathToFileURL(file).href);
    try {
      expect((await source.receive(3, 100)).map((m) => m.id)).toEqual([`${file}:1`, `${file}:2`, `${file}:3`]);
      expect((await source.receive(4, 100)).map(text)).toEqual(['[3]', '[4]', '[5]', '[6]']);
      expect((await drain(source)).map(text)).toEqual(['[7]', '[8]', '[9]']);
    } finally {
      await source.close();
    }
  });

  it('reads 20 000 lines across many chunks with every id once, in order', async () => {
    const file = join(dir, 'many.jsonl');
    await writeFile(file, Array.from({ length: 20_000 }, (_, i) => `{"value":${i},"pad":"${'p'.repeat(i % 50)}"}\n`).join(''));
    const source = await LineSource.open(file);
    try {
      const got = await drain(source, 777);
      expect(got.length).toBe(20_000);
      expect(got.every((m, i) => m.id === `${file}:${i + 1}` && (JSON.parse(text(m)) as { value: number }).value === i)).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('names a missing file, a directory and a line over the limit', async () => {
    await expect(LineSource.open(join(dir, 'nope.jsonl'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `cannot read ${join(dir, 'nope.jsonl')}: no such file` });
    await mkdir(join(dir, 'sub'));
    await expect(LineSource.open(join(dir, 'sub'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `cannot read ${join(dir, 'sub')}: is a directory` });
    const file = join(dir, 'long.jsonl');
    await writeFile(file, `[1]\n[${'9'.repeat(100)}]\n`);
    const source = await LineSource.open(file, { maxLineBytes: 50 });
    try {
      await expect(source.receive(10, 100)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: `${file}: line 2 is longer than 50 bytes (the longest line accepted)` });
    } finally {
      await source.close();
    }
  });
});

describe('line source on a stream (stdin)', () => {
  it('ids are line numbers; a line split across writes arrives whole; a late line ends the wait at once', async () => {
    const input = new PassThrough();
    const source = new LineSource(input, '', 'stdin');
    try {
      input.write('{"a":');
      input.write('1}\n{"a":2}\n{"a"');
      expect((await source.receive(10, 200)).map((m) => [m.id, text(m)])).toEqual([
        ['1', '{"a":1}'],
        ['2', '{"a":2}'],
      ]);
      let start = Date.now();
      expect(await source.receive(10, 250)).toEqual([]);
      expect(Date.now() - start).toBeGreaterThanOrEqual(245);
      start = Date.now();
      setTimeout(() => input.write(':3}\n'), 100);
      expect((await source.receive(10, 5000)).map((m) => [m.id, text(m)])).toEqual([['3', '{"a":3}']]);
      expect(Date.now() - start).toBeLessThan(1000);
      input.end('{"a":4}');
      expect((await source.receive(10, 1000)).map((m) => [m.id, text(m)])).toEqual([['4', '{"a":4}']]);
      // At the end of input: nothing, after waiting (a polling runner must not spin).
      start = Date.now();
      expect(await source.receive(10, 200)).toEqual([]);
      expect(Date.now() - start).toBeGreaterThanOrEqual(195);
    } finally {
      await source.close();
    }
  });

  it('hands a line out again with deliveries 2 when it is not acknowledged within ackWaitMs, and never after its ack', async () => {
    const input = new PassThrough();
    const source = new LineSource(input, '', 'stdin', { ackWaitMs: 150 });
    try {
      input.end('{"n":1}\n{"n":2}\n');
      const first = await source.receive(10, 500);
      expect(first.map((m) => [m.id, m.deliveries])).toEqual([
        ['1', 1],
        ['2', 1],
      ]);
      await source.ack([first[1]!]);
      const again = await source.receive(10, 1000);
      expect(again.map((m) => [m.id, text(m), m.deliveries])).toEqual([['1', '{"n":1}', 2]]);
      expect(source.exhausted).toBe(false);
      await source.ack(again);
      expect(source.exhausted).toBe(true);
      expect(await source.receive(10, 300)).toEqual([]);
    } finally {
      await source.close();
    }
  });
});
