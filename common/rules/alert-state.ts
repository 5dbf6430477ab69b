/** Prometheus' alert states: the condition is false, true for less than `for`, or firing. */
export const INACTIVE = 0;
export const PENDING = 1;
export const FIRING = 2;
export type Phase = typeof INACTIVE | typeof PENDING | typeof FIRING;

/** How many trace ids a transition carries as evidence. */
export const MAX_EVIDENCE = 5;

/**
 * The state one rule keeps for one key (one combination of its `by:` label values). Each kind extends it
 * with its own fields; one class per kind keeps the engine's maps monomorphic.
 */
export class AlertState {
  phase: Phase = INACTIVE;
  /** Whether the rule's condition held at the last evaluation. */
  active = false;
  pendingSince = 0;
  firedAt = 0;
  /** When the condition turned false while firing (keepFiringFor counts from here); -1 while it holds. */
  clearedAt = -1;
  /** The last signal's time; idle keys are forgotten. */
  lastSeen: number;
  /** Second-chance bit of the CLOCK eviction: set on every signal, cleared when eviction passes by. */
  touched = true;
  /** The observed value the rule reports (streak, ratio, z-score, count, seconds silent). */
  value = Number.NaN;
  /** Trace ids of the most recent events that moved the condition (evidence), oldest first. */
  traceIds: string[] | undefined = undefined;
  /** Set when the rule's table drops the key: a slot still holding this state must look again. */
  dropped = false;
  /** The transition key (`rule{node="a",task="b"}`), built on the first transition. */
  id: string | undefined = undefined;

  constructor(
    readonly key: string,
    readonly labels: Readonly<Record<string, string>>,
    now: number,
  ) {
    this.lastSeen = now;
  }

  /** Marks the key as seen at `at` (never moving backwards for late signals). */
  seen(at: number): void {
    if (at > this.lastSeen) this.lastSeen = at;
    this.touched = true;
  }

  /** Remembers a trace id as evidence, keeping the newest {@link MAX_EVIDENCE}. */
  addEvidence(traceId: string | undefined): void {
    if (!traceId) return;
    const ids = (this.traceIds ??= []);
    if (ids.length === MAX_EVIDENCE) ids.shift();
    ids.push(traceId);
  }
}
