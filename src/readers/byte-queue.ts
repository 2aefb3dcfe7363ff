/**
 * Bytes pulled from a stream of chunks on demand, handed out as views when they sit inside one chunk and
 * copied only when they span chunks. Chunks are never reused, so a view stays valid after later reads.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Offset of the first unread byte in chunks[0]. */
  private head = 0;
  private buffered = 0;
  private done = false;
  /** Bytes consumed so far (by take and skip). */
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Bytes available without reading further. */
  get available(): number {
    return this.buffered;
  }

  /** Reads until `n` bytes are buffered or the stream ends; true when they are. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done === true) this.done = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** The next `n` buffered bytes (call fill first). */
  take(n: number): Uint8Array {
    if (n > this.buffered) throw new Error(`byte queue: ${n} bytes asked, ${this.buffered} buffered`);
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first !== undefined && first.length - this.head >= n) {
      out = new Uint8Array(first.buffer, first.byteOffset + this.head, n);
      this.head += n;
      if (this.head === first.length) this.dropFirst();
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0]!;
        const part = Math.min(n - filled, chunk.length - this.head);
        out.set(chunk.subarray(this.head, this.head + part), filled);
        filled += part;
        this.head += part;
        if (this.head === chunk.length) this.dropFirst();
      }
    }
    this.buffered -= n;
    this.consumed += n;
    return out;
  }

  /** Drops the next `n` bytes, reading through the stream without holding them; false if it ends first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) return false;
      const chunk = this.chunks[0]!;
      const part = Math.min(left, chunk.length - this.head);
      this.head += part;
      if (this.head === chunk.length) this.dropFirst();
      this.buffered -= part;
      this.consumed += part;
      left -= part;
    }
    return true;
  }

  private dropFirst(): void {
    this.chunks.shift();
    this.head = 0;
  }
}
