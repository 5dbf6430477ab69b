/** A node's report of its own incidents as it arrived: who sent it, the bytes, and when. */
interface Held {
  node: string;
  payload: Buffer;
  atMs: number;
}

/**
 * Incident reports a standby replica receives. A node counts a report as shipped once the broker has it,
 * and every replica receives it; the leader handles it and a standby keeps it, so a report that arrives
 * while no replica leads (the leader died, its successor is not elected yet) is handled by the next leader
 * when it takes over, as received (its arrival time, for the node's clock offset). Handling is idempotent:
 * a revision already stored by the leader is stale. Bounded by count and age: the oldest go first.
 */
export class HeldReports {
  private held: Held[] = [];

  constructor(
    private readonly max: number,
    private readonly maxAgeMs: number,
  ) {}

  keep(node: string, payload: Buffer, atMs: number): void {
    this.held.push({ node, payload, atMs });
    if (this.held.length > this.max) this.held.splice(0, this.held.length - this.max);
  }

  /** Hands every report younger than the age limit to `handle`, oldest first, and forgets them all. */
  drain(nowMs: number, handle: (node: string, payload: Buffer, atMs: number) => void): number {
    const fresh = this.held.filter((h) => nowMs - h.atMs <= this.maxAgeMs);
    this.held = [];
    for (const h of fresh) handle(h.node, h.payload, h.atMs);
    return fresh.length;
  }

  get size(): number {
    return this.held.length;
  }
}
