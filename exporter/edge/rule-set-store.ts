import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { ruleFileSchema, type Rule } from '../../common/rules/rule-schema.js';
import { ruleSetDigest, ruleSetSchema, verifyRuleSet, type RuleSet } from '../../protocol/rule-set.js';
import { writeFileAtomic } from '../adapters/atomic-file.js';
import type { RuleSetInfo } from './edge-rules.js';

/** Why a pushed rule set was refused (bounded: a metric label). */
export const RULE_SET_REFUSALS = ['malformed', 'unknown_key', 'bad_signature', 'bad_digest', 'stale_version', 'invalid_rules', 'pinned'] as const;
export type RuleSetRefusal = (typeof RULE_SET_REFUSALS)[number];

/** The outcome of one pushed rule set. */
export type RuleSetOutcome = { ok: true; rules: Rule[]; info: RuleSetInfo; changed: boolean } | { ok: false; reason: RuleSetRefusal; message: string };

/**
 * The node's last verified rule set, in `<state>/edge-rules.json` (the signed message as received, so it
 * is verified again when read back). A pushed set is refused unless it parses, its signature verifies
 * with a trusted command key, its digest matches its rules, its version is not older than the one held,
 * and its rules are valid; only then is it persisted and used. With a pinned rule file nothing is accepted.
 */
export class RuleSetStore {
  private readonly path: string;
  private held: RuleSet | undefined;

  constructor(
    stateDir: string,
    private readonly keys: Map<string, KeyObject>,
    private readonly pinned: boolean,
    private readonly logger: Logger,
  ) {
    this.path = join(stateDir, 'edge-rules.json');
  }

  /** The set persisted by an earlier run, verified again; undefined when none (or it no longer verifies). */
  load(): { rules: Rule[]; info: RuleSetInfo } | undefined {
    if (this.pinned) return undefined;
    let raw: Buffer;
    try {
      raw = readFileSync(this.path);
    } catch {
      return undefined;
    }
    const r = this.check(raw, undefined);
    if (!r.ok) {
      this.logger.warn('the persisted edge rule set does not verify: not used', { file: this.path, reason: r.reason, detail: r.message });
      return undefined;
    }
    return { rules: r.rules, info: r.info };
  }

  /** A rule set pushed by the collector: verified, persisted and returned, or refused with why. */
  receive(payload: Buffer): RuleSetOutcome {
    if (this.pinned) return { ok: false, reason: 'pinned', message: 'rules.file pins a local rule file: pushed rule sets are not used' };
    const r = this.check(payload, this.held);
    if (!r.ok || !r.changed) return r;
    writeFileAtomic(this.path, payload);
    return r;
  }

  private check(payload: Buffer, held: RuleSet | undefined): RuleSetOutcome {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed', message: 'the rule set is not JSON' };
    }
    const parsed = ruleSetSchema.safeParse(json);
    if (!parsed.success) return { ok: false, reason: 'malformed', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
    const set = parsed.data;
    const sig = verifyRuleSet(set, this.keys);
    if (sig === 'unknown_key') return { ok: false, reason: 'unknown_key', message: `no trusted public key with id ${set.keyId} (commands.publicKeyFile)` };
    if (sig === 'bad_signature') return { ok: false, reason: 'bad_signature', message: 'the signature does not verify' };
    if (ruleSetDigest(set.rules) !== set.digest) return { ok: false, reason: 'bad_digest', message: 'the digest does not match the rules' };
    if (held && set.version < held.version) return { ok: false, reason: 'stale_version', message: `version ${set.version} is older than the held ${held.version}` };
    const rules = ruleFileSchema.safeParse({ rules: set.rules });
    if (!rules.success) return { ok: false, reason: 'invalid_rules', message: rules.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    const changed = !held || held.version !== set.version || held.digest !== set.digest;
    this.held = set;
    return { ok: true, rules: rules.data.rules as Rule[], info: { version: set.version, digest: set.digest, source: 'cloud' }, changed };
  }
}

/** A pinned rule file's info: version 0 (not the cloud's numbering) and its digest. */
export function pinnedInfo(rules: readonly Rule[]): RuleSetInfo {
  return { version: 0, digest: ruleSetDigest(rules.map((r) => r.name)), source: 'pinned' };
}
