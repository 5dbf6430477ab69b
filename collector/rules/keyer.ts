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

/**
 * Builds a signal's key for one `by:` list. Rules with the same `by:` share a keyer, and it remembers the
 * key until {@link Keyer.forget}, so an event that reaches several rules builds its key string once.
 */
export class Keyer {
  private lastSignal: Signal | undefined;
  private lastKey: string | undefined;

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
    let key = '';
    let any = false;
    for (let i = 0; i < by.length; i++) {
      const v = labelOf(signal, by[i]!);
      if (v) any = true;
      key = i === 0 ? (v ?? '') : key + SEPARATOR + (v ?? '');
    }
    return any ? key : undefined;
  }
}
