/**
 * DuckDB result chunks hold their vectors in native memory that V8 does not count, and are freed only when
 * their small JavaScript wrappers are garbage collected. A reader that allocates little on the JavaScript heap
 * would let thousands of dead chunks (hundreds of MB) pile up between collections, so memory would grow with
 * the input. A young-generation collection every few chunks frees them while they are young: it takes a small
 * fraction of a millisecond and keeps memory flat.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'minor' | 'major' }) => void;

let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: Collect }).gc;
    if (exposed !== undefined) collect = exposed;
    else {
      // Node's documented way to reach V8's gc() without a command-line flag: a context made after the flag is set.
      setFlagsFromString('--expose-gc');
      const made = runInNewContext('typeof gc === "function" ? gc : null') as Collect | null;
      collect = made;
    }
  }
  return collect;
}

export function releaseNativeChunks(): void {
  collector()?.({ type: 'minor' });
}
