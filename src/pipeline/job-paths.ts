/**
 * Paths of on-demand jobs, which come from HTTP callers: every one must stay inside the job root. A value is
 * refused (naming its parameter) when it is percent-encoded (HTTP decoding already happened once, so what is
 * left would be decoded by nobody, or by the wrong layer), holds a `..` segment, is absolute outside the root,
 * or reaches outside through a symbolic link. Paths are taken relative to the root. A job's paths are plain
 * paths: `,` `*` `?` `[` are refused because the batch job reads its input as a comma-separated list of globs,
 * which would let a name such as `in/x,/etc/passwd` reach files the checks never saw.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ServingError } from '../errors/serving-error.js';

/** What the batch job's input spec reads as a list separator or a glob (see readers/input-files.ts). */
export const LIST_OR_GLOB_CHARS = /[,*?[]/;

export class JobRoot {
  private constructor(
    /** As configured, absolute. */
    readonly dir: string,
    /** With symbolic links resolved: what containment is checked against. */
    readonly real: string,
  ) {}

  static async open(dir: string): Promise<JobRoot> {
    const absolute = resolve(dir);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isDirectory() !== true) throw new ServingError('INVALID_ARGUMENT', `--job_root ${absolute} is not a directory`);
    const real = await realpath(absolute);
    const listOrGlob = LIST_OR_GLOB_CHARS.exec(real);
    if (listOrGlob !== null) throw new ServingError('INVALID_ARGUMENT', `--job_root ${real} has "${listOrGlob[0]}" in its path, which jobs cannot read as a plain path`);
    return new JobRoot(absolute, real);
  }

  /** The real path `value` (parameter `name`) names inside the root; it need not exist yet. */
  async resolve(name: string, value: string): Promise<string> {
    const refuse = (why: string): ServingError => new ServingError('INVALID_ARGUMENT', `parameter "${name}" ${why}`);
    if (value === '') throw refuse('is required');
    if (value.includes('\0')) throw refuse('must not contain a NUL character');
    const encoded = /%[0-9a-f]{2}/i.exec(value);
    if (encoded !== null) throw refuse(`must not be percent-encoded (found "${encoded[0]}"); give the path as it is, relative to the job root`);
    if (value.split(/[\\/]/).includes('..')) throw refuse('must not contain ".." segments; paths are relative to the job root');
    const listOrGlob = LIST_OR_GLOB_CHARS.exec(value);
    if (listOrGlob !== null) throw refuse(`must not contain "${listOrGlob[0]}": a job's paths are plain paths, not lists or globs`);
    if (isAbsolute(value) && !isInside(resolve(value), this.dir) && !isInside(resolve(value), this.real)) {
      throw refuse('is an absolute path outside the job root; give it relative to the job root');
    }
    const real = await realPathOf(isAbsolute(value) ? resolve(value) : join(this.real, value));
    if (!isInside(real, this.real)) throw refuse('leads outside the job root through a symbolic link');
    return real;
  }

  /** Checks a path found inside a resolved one (a file of an input directory, a model file). */
  async check(path: string, what: string): Promise<void> {
    if (!isInside(await realPathOf(path), this.real)) {
      throw new ServingError('INVALID_ARGUMENT', `${what} ${relative(this.real, path)} leads outside the job root through a symbolic link`);
    }
  }

  /** `path` relative to the root, for messages and answers. */
  relative(path: string): string {
    return relative(this.real, path) || '.';
  }

  /** `text` with every absolute path inside the root written relative to it (for messages from below). */
  relativeInText(text: string): string {
    return relativePathsIn(text, this.real, this.dir);
  }
}

/** The real path of `path`: its deepest existing ancestor with links resolved, plus the rest as given. */
async function realPathOf(path: string): Promise<string> {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    const exists = await lstat(existing).then(
      () => true,
      () => false,
    );
    if (exists) break;
    const parent = dirname(existing);
    if (parent === existing) return path;
    rest.unshift(basename(existing));
    existing = parent;
  }
  // A dangling link has no real path; it cannot be shown to stay inside, so it counts as leading out.
  const real = await realpath(existing).catch(() => '/\0dangling');
  return join(real, ...rest);
}

/** `text` with paths below `dirs` written relative to them (the directories themselves as "."). */
export function relativePathsIn(text: string, ...dirs: readonly string[]): string {
  let out = text;
  // The longer first, so a directory inside another is not cut short.
  for (const dir of [...new Set(dirs)].sort((a, b) => b.length - a.length)) {
    out = out.split(`${dir}${sep}`).join('');
    // The directory itself: where its name ends (end of text, a space, a quote, punctuation, or a full stop that
    // ends a sentence), not where it only begins a longer name such as `/jobs.old`.
    out = out.replace(new RegExp(`${escapeRegExp(dir)}(?=$|[\\s"'),;:]|\\.(?:\\s|$))`, 'g'), '.');
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
