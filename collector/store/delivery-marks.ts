/**
 * Which spool records have been stored, per exporter spool id: sorted, merged `[lo, hi]` ranges of
 * sequence numbers. An exporter ships its spool in order, so a spool normally needs one range; resends
 * after a lost ack hit a range and are dropped as duplicates.
 */
export class DeliveryMarks {
  private readonly bySid = new Map<string, Array<[number, number]>>();

  /** Whether record `seq` of spool `sid` was stored before. */
  has(sid: string, seq: number): boolean {
    const ranges = this.bySid.get(sid);
    if (!ranges) return false;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid]!;
      if (seq < r[0]) hi = mid - 1;
      else if (seq > r[1]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Marks `seq` of `sid` as stored, merging adjacent ranges. */
  add(sid: string, seq: number): void {
    let ranges = this.bySid.get(sid);
    if (!ranges) this.bySid.set(sid, (ranges = []));
    const last = ranges.at(-1);
    if (last && seq === last[1] + 1) {
      last[1] = seq; // the common case: the next record in order
      return;
    }
    if (this.has(sid, seq)) return;
    let i = ranges.findIndex((r) => r[0] > seq);
    if (i === -1) i = ranges.length;
    ranges.splice(i, 0, [seq, seq]);
    // merge with neighbours
    const prev = ranges[i - 1];
    if (prev && prev[1] + 1 >= seq) {
      prev[1] = Math.max(prev[1], ranges[i]![1]);
      ranges.splice(i, 1);
      i--;
    }
    const cur = ranges[i]!;
    const next = ranges[i + 1];
    if (next && cur[1] + 1 >= next[0]) {
      cur[1] = Math.max(cur[1], next[1]);
      ranges.splice(i + 1, 1);
    }
  }

  /** The ranges of one spool, for persisting. */
  ranges(sid: string): Array<[number, number]> {
    return this.bySid.get(sid) ?? [];
  }

  /** Restores a spool's ranges (from the store at startup). */
  load(sid: string, ranges: Array<[number, number]>): void {
    this.bySid.set(sid, ranges.map((r) => [r[0], r[1]] as [number, number]).sort((a, b) => a[0] - b[0]));
  }

  forget(sid: string): void {
    this.bySid.delete(sid);
  }
}
