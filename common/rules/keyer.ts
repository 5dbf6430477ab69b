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

/**
 * One key, and each rule's state for it (by the rule's index on this keyer): an event that reaches several
 * rules with the same `by:` finds every rule's state through one lookup instead of one map per rule.
 */
export class KeySlot {
  readonly states: unknown[] = [];
  constructor(readonly key: string) {}
}

type Tree = Map<string, Tree | KeySlot>;

/**
 * Builds a signal's key for one `by:` list. Rules with the same `by:` share a keyer, and it remembers the
 * key until {@link Keyer.forget}, so an event that reaches several rules builds its key string once.
 */
export class Keyer {
  private lastSignal: Signal | undefined;
  private lastSlot: KeySlot | undefined;
  private readonly interned: Tree = new Map();
  /** Slots of a one-label `by:` (the label value is the key). */
  private readonly single = new Map<string, KeySlot>();
  private internedKeys = 0;
  private rules = 0;

  constructor(readonly by: readonly string[]) {}

  /** Drops the remembered key; the engine calls it before each signal, so a reused signal object is keyed afresh. */
  forget(): void {
    this.lastSignal = undefined;
  }

  /** A rule that will keep its states in the slots: its index in {@link KeySlot.states}. */
  register(): number {
    return this.rules++;
  }

  /** The key, or undefined when the signal carries none of the `by:` labels (it is not about any key). */
  key(signal: Signal): string | undefined {
    return this.slot(signal)?.key;
  }

  /** The key's slot, or undefined when the signal is about no key. */
  slot(signal: Signal): KeySlot | undefined {
    if (signal === this.lastSignal) return this.lastSlot;
    this.lastSignal = signal;
    this.lastSlot = this.build(signal);
    return this.lastSlot;
  }

  /** The `by:` labels of a signal, missing ones as "" (a new key's labels). */
  labels(signal: Signal): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.by) out[name] = labelOf(signal, name) ?? '';
    return out;
  }

  private build(signal: Signal): KeySlot | undefined {
    const by = this.by;
    if (by.length === 1) {
      const v = labelOf(signal, by[0]!);
      if (!v) return undefined;
      let slot = this.single.get(v);
      if (slot === undefined) {
        if (++this.internedKeys > MAX_INTERNED) this.startOver();
        this.single.set(v, (slot = new KeySlot(v)));
      }
      return slot;
    }
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
    const slot = level.get(last);
    if (slot instanceof KeySlot) return slot;
    return this.intern(signal, level, last);
  }

  private intern(signal: Signal, leaf: Tree, last: string): KeySlot {
    // Bounded like the rule tables: past the cap the slots start over (keys are equal by value anyway, and
    // a rule finds its state in its own table again).
    if (++this.internedKeys > MAX_INTERNED) {
      this.startOver();
      return this.build(signal)!;
    }
    const slot = new KeySlot(this.by.map((name) => labelOf(signal, name) ?? '').join(SEPARATOR));
    leaf.set(last, slot);
    return slot;
  }

  private startOver(): void {
    this.interned.clear();
    this.single.clear();
    this.internedKeys = 1;
  }
}
