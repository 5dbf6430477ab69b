import { INACTIVE, type AlertState } from './alert-state.js';

/** How far eviction looks for a key that is neither recently used nor pending/firing before it gives up. */
const MAX_SCAN = 64;

/**
 * A rule's per-key states, bounded by `maxKeys`. When full, the CLOCK algorithm (an LRU approximation
 * that costs one bit per signal instead of a map reorder) picks the key to drop, passing over keys seen
 * since the last sweep and keys that are pending or firing.
 */
export class KeyTable<S extends AlertState> {
  private readonly states = new Map<string, S>();
  /** Keys dropped because the table was full. */
  evicted = 0;
  /** Keys dropped because they were idle. */
  expired = 0;

  constructor(readonly maxKeys: number) {}

  get size(): number {
    return this.states.size;
  }

  get(key: string): S | undefined {
    return this.states.get(key);
  }

  delete(key: string): void {
    const s = this.states.get(key);
    if (s === undefined) return;
    s.dropped = true;
    this.states.delete(key);
  }

  values(): IterableIterator<S> {
    return this.states.values();
  }

  /** Adds a state; returns the state evicted to make room, if one was. */
  add(state: S): S | undefined {
    let victim: S | undefined;
    if (this.states.size >= this.maxKeys) victim = this.evictOne();
    this.states.set(state.key, state);
    return victim;
  }

  private evictOne(): S | undefined {
    let scanned = 0;
    for (const s of this.states.values()) {
      if (scanned++ >= MAX_SCAN) break;
      if (!s.touched && s.phase === INACTIVE) return this.drop(s);
      // Second chance: clear the bit and move the key behind the others.
      s.touched = false;
      this.states.delete(s.key);
      this.states.set(s.key, s);
    }
    const head = this.states.values().next();
    return head.done ? undefined : this.drop(head.value);
  }

  private drop(s: S): S {
    s.dropped = true;
    this.states.delete(s.key);
    this.evicted++;
    return s;
  }
}
