/**
 * For tests of CLI commands run in-process: collects what each test's command writes to stderr (and, when
 * asked, stdout) into arrays emptied before every test, and restores the streams after it.
 */
import { afterEach, beforeEach, vi } from 'vitest';

export interface CapturedOutput {
  /** The chunks written to stderr during the current test. */
  readonly stderr: string[];
  /** The chunks written to stdout during the current test (only with `stdout: 'capture'`). */
  readonly stdout: string[];
}

/** `stdout`: 'pass' leaves it alone, 'silence' drops it, 'capture' collects it like stderr. */
export function captureProcessOutput(options: { readonly stdout?: 'pass' | 'silence' | 'capture' } = {}): CapturedOutput {
  const captured: CapturedOutput = { stderr: [], stdout: [] };
  const stdoutMode = options.stdout ?? 'pass';
  beforeEach(() => {
    captured.stderr.length = 0;
    captured.stdout.length = 0;
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured.stderr.push(String(chunk));
      return true;
    });
    if (stdoutMode === 'pass') return;
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      if (stdoutMode === 'capture') captured.stdout.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return captured;
}
