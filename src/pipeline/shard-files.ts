/**
 * The files of one output shard, written under hidden temporary names and renamed into place on commit, so a
 * shard's files appear only complete. The main file (results, or instances in export mode) is renamed last:
 * its presence is what marks the shard committed, which is how a rerun knows to skip it.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export type JobMode = 'predict' | 'export';

/** Vertex's names: `prediction.results-00003-of-00010` (export mode: `export.instances-…`), errors alike. */
export function shardFileNames(mode: JobMode, index: number, count: number): { main: string; errors: string } {
  const width = Math.max(5, String(count).length);
  const suffix = `-${String(index).padStart(width, '0')}-of-${String(count).padStart(width, '0')}`;
  return mode === 'predict'
    ? { main: `prediction.results${suffix}`, errors: `prediction.errors${suffix}` }
    : { main: `export.instances${suffix}`, errors: `export.errors${suffix}` };
}

// Below V8's large-object size, so the joined text of a flush dies young instead of filling the old generation.
const FLUSH_BYTES = 1 << 16;

/** Lines appended to a temporary file, renamed to `name` on commit. */
class PendingFile {
  private parts: string[] = [];
  private pending = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly tempPath: string,
    readonly finalPath: string,
  ) {}

  static async create(dir: string, name: string): Promise<PendingFile> {
    const tempPath = join(dir, `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    return new PendingFile(await open(tempPath, 'w'), tempPath, join(dir, name));
  }

  /** Buffers the line; a promise only when the buffer is due to be written (so callers await rarely). */
  writeLine(line: string): Promise<void> | undefined {
    this.parts.push(line, '\n');
    this.pending += line.length + 1;
    return this.pending >= FLUSH_BYTES ? this.flush() : undefined;
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    await this.handle.write(text);
  }
}

export class ShardOutput {
  private constructor(
    private readonly dir: string,
    private readonly main: PendingFile,
    private readonly errors: PendingFile,
  ) {}

  static async create(dir: string, mode: JobMode, index: number, count: number): Promise<ShardOutput> {
    const names = shardFileNames(mode, index, count);
    const errors = await PendingFile.create(dir, names.errors);
    try {
      return new ShardOutput(dir, await PendingFile.create(dir, names.main), errors);
    } catch (err) {
      await errors.discard();
      throw err;
    }
  }

  writeMain(line: string): Promise<void> | undefined {
    return this.main.writeLine(line);
  }

  writeError(line: string): Promise<void> | undefined {
    return this.errors.writeLine(line);
  }

  /** Makes both files durable and visible; the main file last, as the commit mark. */
  async commit(): Promise<void> {
    await this.errors.finish();
    await this.main.finish();
    await rename(this.errors.tempPath, this.errors.finalPath);
    await rename(this.main.tempPath, this.main.finalPath);
    await syncDirectory(this.dir);
  }

  async discard(): Promise<void> {
    await Promise.all([this.main.discard(), this.errors.discard()]);
  }
}

/** Names of the files in the output directory (created if needed). */
export async function listOutputDirectory(dir: string): Promise<Set<string>> {
  return new Set(await readdir(dir));
}

/** Removes temporary files a crashed run left for these final names. */
export async function removeStaleTemporaries(dir: string, entries: ReadonlySet<string>, finalNames: ReadonlySet<string>): Promise<void> {
  for (const entry of entries) {
    const match = /^\.(.+)\.\d+-[0-9a-f]+\.tmp$/.exec(entry);
    if (match !== null && finalNames.has(match[1]!)) await rm(join(dir, entry), { force: true });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot sync a directory; the renames are still atomic.
  } finally {
    await handle.close();
  }
}
