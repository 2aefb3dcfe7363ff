/**
 * Turns `--input` into the sorted list of files to read: a file, a directory (every file below it), or a glob
 * (`*` and `?` within a path segment, `**` across segments, `[abc]` classes), several joined by commas. Names
 * starting with `.` or `_` are skipped inside directories and globs (hidden files, temporary files, markers
 * such as _SUCCESS), and so is everything under `exclude` (the job's own output directory).
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ServingError } from '../errors/serving-error.js';

const GLOB_CHARS = /[*?[]/;

export async function listInputFiles(spec: string, exclude?: string): Promise<string[]> {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new ServingError('INVALID_ARGUMENT', 'no input given');
  const excluded = exclude === undefined ? undefined : resolve(exclude);
  const files: string[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    const found = GLOB_CHARS.test(part) ? await globFiles(part) : await pathFiles(part);
    const kept = found.filter((f) => excluded === undefined || !isInside(resolve(f), excluded));
    if (kept.length === 0) throw new ServingError('NOT_FOUND', `no input files match ${part}`);
    for (const f of kept) {
      if (seen.has(resolve(f))) continue;
      seen.add(resolve(f));
      files.push(f);
    }
  }
  return files;
}

async function pathFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new ServingError('NOT_FOUND', `input ${path} does not exist`);
  });
  return info.isDirectory() ? walk(path) : [path];
}

/** Every file below `dir`, in byte order of their paths. */
async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !skipped(e.name)).sort((a, b) => compare(a.name, b.name));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory() === true);
    if (isDir) files.push(...(await walk(path)));
    else if (entry.isFile() || entry.isSymbolicLink()) files.push(path);
  }
  return files;
}

async function globFiles(pattern: string): Promise<string[]> {
  const segments = pattern.split(/[\\/]/);
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const base = segments.slice(0, firstGlob).join('/') || (pattern.startsWith('/') ? '/' : '.');
  const matcher = globRegExp(segments.slice(firstGlob).join('/'));
  const all = await walk(base).catch(() => [] as string[]);
  return all.filter((file) => matcher.test(relative(base, file).split(sep).join('/')));
}

/** A glob (relative, `/`-separated) as a regular expression over relative paths. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` matches anything.
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:[^/]*/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function skipped(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
