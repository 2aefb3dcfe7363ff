/**
 * Which Kafka offsets a consumer may commit. Messages are acknowledged out of order (windows finish in any
 * order, and a message can wait on retries), but a committed offset means "everything before this is done":
 * so each partition commits only the end of its contiguous acknowledged prefix — the first offset delivered
 * and not yet acknowledged, or one past the highest delivered when all are. A restart then re-reads at most
 * the messages that were in flight, never skips one.
 *
 * Offsets are int64 in Kafka and arrive as decimal strings; they are kept as bigint. Offsets may have gaps
 * (transaction markers, compaction): only offsets actually delivered count.
 */

export interface CommitPoint {
  readonly partition: number;
  /** The next offset to read, as Kafka's commit expects it. */
  readonly offset: string;
}

class PartitionOffsets {
  /** Delivered offsets in increasing order; `pending[head…]` are not yet known to be acknowledged. */
  private pending: bigint[] = [];
  private head = 0;
  private readonly outstanding = new Set<bigint>();
  private highest: bigint | undefined;
  /** The commit point last committed, or the first delivered offset (where the group stood) before that. */
  private committed: bigint | undefined;

  delivered(offset: bigint): boolean {
    if (this.highest !== undefined && offset <= this.highest) return false;
    this.committed ??= offset;
    this.highest = offset;
    this.pending.push(offset);
    this.outstanding.add(offset);
    return true;
  }

  acked(offset: bigint): boolean {
    if (!this.outstanding.delete(offset)) return false;
    while (this.head < this.pending.length && !this.outstanding.has(this.pending[this.head]!)) this.head++;
    // Drop the acknowledged prefix now and then, so the array does not grow with the partition.
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** The offset to commit now, or undefined when it would not move past the last commit. */
  commitPoint(): bigint | undefined {
    if (this.highest === undefined) return undefined;
    const point = this.head < this.pending.length ? this.pending[this.head]! : this.highest + 1n;
    return this.committed === undefined || point > this.committed ? point : undefined;
  }

  markCommitted(offset: bigint): void {
    if (this.committed === undefined || offset > this.committed) this.committed = offset;
  }

  get unacknowledged(): number {
    return this.outstanding.size;
  }
}

export class AckedPrefixOffsets {
  private readonly partitions = new Map<number, PartitionOffsets>();

  /** A message was fetched; false when that offset (or a later one) was seen already and is ignored. */
  delivered(partition: number, offset: string): boolean {
    let state = this.partitions.get(partition);
    if (state === undefined) this.partitions.set(partition, (state = new PartitionOffsets()));
    return state.delivered(BigInt(offset));
  }

  /** A message is done; false when it was not outstanding (already acknowledged, or forgotten by a rebalance). */
  acked(partition: number, offset: string): boolean {
    return this.partitions.get(partition)?.acked(BigInt(offset)) ?? false;
  }

  /** Every partition whose contiguous acknowledged prefix moved past its last commit, in partition order. */
  commitPoints(): CommitPoint[] {
    const points: CommitPoint[] = [];
    for (const [partition, state] of [...this.partitions].sort(([a], [b]) => a - b)) {
      const point = state.commitPoint();
      if (point !== undefined) points.push({ partition, offset: point.toString() });
    }
    return points;
  }

  /** The broker took these commits. */
  markCommitted(points: readonly CommitPoint[]): void {
    for (const { partition, offset } of points) this.partitions.get(partition)?.markCommitted(BigInt(offset));
  }

  /** Messages delivered and not acknowledged, over all partitions. */
  get unacknowledged(): number {
    let total = 0;
    for (const state of this.partitions.values()) total += state.unacknowledged;
    return total;
  }

  /** After a rebalance the group re-reads from its committed offsets: start over. */
  forget(): void {
    this.partitions.clear();
  }
}
