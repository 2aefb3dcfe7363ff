// Reads a text config file named by a flag, with an error that names the flag and the path.
import { readFile } from 'node:fs/promises';
import { ServingError } from '../errors/serving-error.js';

/** Why a file could not be read, in words (`no such file or directory`) rather than an errno name. */
export function unreadableReason(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** The text of `path`, given by `--flag`; a failure is INVALID_ARGUMENT naming both. */
export async function readConfigFileText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ServingError('INVALID_ARGUMENT', `--${flag}: cannot read "${path}": ${unreadableReason(err)}`);
  }
}
