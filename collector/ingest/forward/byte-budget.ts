/** One connection's share of the budget, and how to cut it off. */
export interface BudgetHolder {
  readonly peer: string;
  /** Bytes of partial frames this connection holds. */
  held: number;
  evict(): void;
}

/**
 * Bytes of partial frames held over all forward connections, capped at `maxBytes`. When a connection's
 * new bytes would pass the cap, the connection holding the most is cut off (a trickling sender holding
 * megabytes goes before an exporter with a few kilobytes in flight), until the rest fits.
 */
export class ByteBudget {
  private used = 0;
  private readonly holders = new Set<BudgetHolder>();

  constructor(private readonly maxBytes: number) {}

  /** Total bytes held now. */
  get total(): number {
    return this.used;
  }

  join(h: BudgetHolder): void {
    this.holders.add(h);
  }

  leave(h: BudgetHolder): void {
    if (this.holders.delete(h)) this.used -= h.held;
    h.held = 0;
  }

  /** Sets what `h` holds now; evicts the largest holders while the total is over the cap. */
  hold(h: BudgetHolder, bytes: number): void {
    this.used += bytes - h.held;
    h.held = bytes;
    while (this.used > this.maxBytes) {
      let largest: BudgetHolder | undefined;
      for (const x of this.holders) if (!largest || x.held > largest.held) largest = x;
      if (!largest || largest.held === 0) break;
      this.leave(largest);
      largest.evict();
    }
  }
}
