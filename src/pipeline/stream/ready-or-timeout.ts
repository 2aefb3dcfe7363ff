/**
 * Waits for a promise for at most `ms` milliseconds. `ms <= 0` means "only if it is already settled": the check
 * runs after pending microtasks (a buffered iterator resolves its `next()` in microtasks) but before any I/O.
 * On timeout the promise is left running, so the caller can keep it and wait on it again later without losing
 * what it eventually yields.
 */
export const TIMED_OUT: unique symbol = Symbol('timed out');

export async function readyOrTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = ms <= 0 ? setImmediate(() => resolve(TIMED_OUT)) : setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (ms <= 0) clearImmediate(timer as NodeJS.Immediate);
    else clearTimeout(timer as NodeJS.Timeout);
  }
}
