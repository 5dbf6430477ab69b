import type { Signal } from './signals.js';

/** The value of label `name` on a signal; undefined when the signal does not carry it. */
export function labelOf(signal: Signal, name: string): string | undefined {
  switch (signal.kind) {
    case 'log':
      return name === 'node' ? signal.node : name === 'task' ? signal.task : name === 'service' ? signal.service : undefined;
    case 'heartbeat':
      return name === 'node' ? signal.node : undefined;
    case 'task':
    case 'restart':
      return name === 'node' ? signal.node : name === 'task' ? signal.task : undefined;
    case 'value':
      return signal.labels?.[name];
    case 'alert':
      return signal.labels[name];
  }
}

const SEPARATOR = '\u001f';
/** Keys remembered by a keyer before it starts over (the rules' own tables are bounded by maxKeys). */
const MAX_INTERNED = 100_000;

type Tree = Map<string, Tree | string>;

/**
 * Builds a signal's key for one `by:` list. Rules with the same `by:` share a keyer, and it remembers the
 * key until {@link Keyer.forget}, so an event that reaches several rules builds its key string once.
 */
export class Keyer {
  private lastSignal: Signal | undefined;
  private lastKey: string | undefined;
  private readonly interned: Tree = new Map();
  private internedKeys = 0;

  constructor(readonly by: readonly string[]) {}

  /** Drops the remembered key; the engine calls it before each signal, so a reused signal object is keyed afresh. */
  forget(): void {
    this.lastSignal = undefined;
  }

  /** The key, or undefined when the signal carries none of the `by:` labels (it is not about any key). */
  key(signal: Signal): string | undefined {
    if (signal === this.lastSignal) return this.lastKey;
    this.lastSignal = signal;
    this.lastKey = this.build(signal);
    return this.lastKey;
  }

  /** The `by:` labels of a signal, missing ones as "" (a new key's labels). */
  labels(signal: Signal): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.by) out[name] = labelOf(signal, name) ?? '';
    return out;
  }

  private build(signal: Signal): string | undefined {
    const by = this.by;
    if (by.length === 1) return labelOf(signal, by[0]!) || undefined;
    // Walk a tree of label values to an interned key: a known key costs a few short-string lookups and
    // no allocation, where concatenating would build (and hash) a new string for every event.
    let level = this.interned;
    let any = false;
    for (let i = 0; i < by.length - 1; i++) {
      const v = labelOf(signal, by[i]!) ?? '';
      if (v) any = true;
      let next = level.get(v) as Tree | undefined;
      if (next === undefined) level.set(v, (next = new Map()));
      level = next;
    }
    const last = labelOf(signal, by[by.length - 1]!) ?? '';
    if (!any && !last) return undefined;
    const key = level.get(last);
    if (typeof key === 'string') return key;
    return this.intern(signal, level, last);
  }

  private intern(signal: Signal, leaf: Tree, last: string): string {
    // Bounded like the rule tables: past the cap the tree starts over (keys are equal by value anyway).
    if (++this.internedKeys > MAX_INTERNED) {
      this.interned.clear();
      this.internedKeys = 1;
    }
    const key = this.by.map((name) => labelOf(signal, name) ?? '').join(SEPARATOR);
    leaf.set(last, key);
    return key;
  }
}
