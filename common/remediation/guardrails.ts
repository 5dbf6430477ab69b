import { TokenBucket } from '../token-bucket.js';
import type { ActionType } from '../rules/signals.js';

/** Limits on automatic remediation (`remediation.*` in the collector config, `rules.*` in the exporter's). */
export interface GuardrailOptions {
  /** Record "would have restarted" instead of acting. */
  dryRun: boolean;
  /** The same action on the same node and task at most once per this long. */
  cooldownMs: number;
  /** Fleet-wide action rate: `perMinute` sustained, `burst` at once. */
  ratePerMinute: number;
  burst: number;
  /** Stop acting (and page once) when more than this share of the fleet has an open incident... */
  breakerOpenShare: number;
  /** ...and at least this many nodes are affected (a two-node fleet with one bad node is not a mass outage). */
  breakerMinNodes: number;
  /** The breaker closes again below this share. */
  breakerCloseShare: number;
  /** More than this many incidents of one fingerprint within `flapWindowMs` is flapping: page, do not act. */
  flapMaxIncidents: number;
  flapWindowMs: number;
}

/** The guardrail keys as both configs write them (seconds and minutes, the breaker and flap blocks). */
export interface GuardrailConfig {
  dryRun: boolean;
  cooldownSeconds: number;
  ratePerMinute: number;
  burst: number;
  breaker: { openShare: number; closeShare: number };
  flap: { maxIncidents: number; windowMinutes: number };
}

/** {@link GuardrailOptions} from a config's keys; `breakerMin` is what the breaker counts (nodes, or a node's tasks). */
export function guardrailOptionsOf(cfg: GuardrailConfig, breakerMin: number): GuardrailOptions {
  return {
    dryRun: cfg.dryRun,
    cooldownMs: cfg.cooldownSeconds * 1000,
    ratePerMinute: cfg.ratePerMinute,
    burst: cfg.burst,
    breakerOpenShare: cfg.breaker.openShare,
    breakerCloseShare: cfg.breaker.closeShare,
    breakerMinNodes: breakerMin,
    flapMaxIncidents: cfg.flap.maxIncidents,
    flapWindowMs: cfg.flap.windowMinutes * 60_000,
  };
}

/** What the guardrails say about one intended action. */
export type GuardVerdict =
  | { allow: true }
  | { allow: false; result: 'dry_run' | 'cooldown' | 'rate_limited' | 'breaker_open'; retryAtMs?: number };

/**
 * The safety limits between a firing rule and a command, on injected time: dry-run, per-target cooldown,
 * a fleet-wide token bucket, a circuit breaker that halts everything when a large share of the fleet is
 * affected at once (Kubernetes slows evictions when 55% of a zone is NotReady), and flap detection.
 */
export class Guardrails {
  private readonly lastAction = new Map<string, number>();
  private readonly bucket: TokenBucket;
  private readonly incidentsByFingerprint = new Map<string, number[]>();
  private breakerOpen = false;

  constructor(
    private readonly options: GuardrailOptions,
    now: number,
  ) {
    this.bucket = new TokenBucket(options.ratePerMinute / 60, options.burst, now);
  }

  get breakerIsOpen(): boolean {
    return this.breakerOpen;
  }

  /** Whether `action` on `node`/`task` may run now; does not consume anything. */
  check(action: ActionType, node: string, task: string | undefined, now: number): GuardVerdict {
    if (this.breakerOpen) return { allow: false, result: 'breaker_open' };
    const last = this.lastAction.get(targetKey(action, node, task));
    if (last !== undefined && now - last < this.options.cooldownMs) return { allow: false, result: 'cooldown', retryAtMs: last + this.options.cooldownMs };
    if (this.options.dryRun) return { allow: false, result: 'dry_run' };
    if (this.bucket.available(now) < 1) return { allow: false, result: 'rate_limited', retryAtMs: now + this.bucket.waitMs(now) };
    return { allow: true };
  }

  /** Records an action taken (or, in dry-run, one that would have been): starts its cooldown, takes a token. */
  commit(action: ActionType, node: string, task: string | undefined, now: number): void {
    this.lastAction.set(targetKey(action, node, task), now);
    if (!this.options.dryRun) this.bucket.take(now);
  }

  /** Updates the breaker from the number of affected and known nodes; returns the change, if any. */
  fleet(affectedNodes: number, totalNodes: number): 'opened' | 'closed' | undefined {
    const share = totalNodes > 0 ? affectedNodes / totalNodes : 0;
    if (!this.breakerOpen && affectedNodes >= this.options.breakerMinNodes && share > this.options.breakerOpenShare) {
      this.breakerOpen = true;
      return 'opened';
    }
    if (this.breakerOpen && share < this.options.breakerCloseShare) {
      this.breakerOpen = false;
      return 'closed';
    }
    return undefined;
  }

  /** Counts a new incident of `fingerprint`; true when it is flapping (too many in the window). */
  flapping(fingerprint: string, now: number): boolean {
    const since = now - this.options.flapWindowMs;
    const times = (this.incidentsByFingerprint.get(fingerprint) ?? []).filter((t) => t > since);
    times.push(now);
    this.incidentsByFingerprint.set(fingerprint, times);
    return times.length > this.options.flapMaxIncidents;
  }
}

function targetKey(action: ActionType, node: string, task: string | undefined): string {
  return `${action}\u0000${node}\u0000${task ?? ''}`;
}
