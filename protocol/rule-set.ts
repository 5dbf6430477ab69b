import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';

/**
 * The edge rule set the collector distributes on `edgewatch/<node>/rules` (retained): the rules of its
 * rule file whose `scope` is `edge` or `both`, as written (each is validated again on the node), with a
 * version that grows whenever they change. Signed with the command key (Ed25519), so a node runs only
 * rules the cloud issued, and verified with the same public keys as commands.
 */
export const ruleSetSchema = z.strictObject({
  version: z.number().int().nonnegative(),
  issuedAt: z.number().int().nonnegative(),
  /** SHA-256 prefix of the rules' canonical JSON: the same rules always have the same digest. */
  digest: z.string().regex(/^[0-9a-f]{16}$/),
  rules: z.array(z.record(z.string(), z.unknown())).max(1000),
  keyId: z.string().min(1).max(64),
  sig: z.string().min(1).max(256),
});
export type RuleSet = z.output<typeof ruleSetSchema>;
export type UnsignedRuleSet = Omit<RuleSet, 'sig' | 'keyId'>;

/** A rule set's signed bytes: a fixed prefix (so no command signature can pass for a rule set) and the canonical JSON. */
function signedBytes(set: Omit<RuleSet, 'sig'>): Buffer {
  return Buffer.from(`edgewatch-rule-set\n${canonicalJson(set)}`, 'utf8');
}

/** Signs a rule set with the command key. */
export function signRuleSet(set: UnsignedRuleSet, key: { privateKey: KeyObject; keyId: string }): RuleSet {
  const body = { ...set, keyId: key.keyId };
  return { ...body, sig: sign(null, signedBytes(body), key.privateKey).toString('base64') };
}

/** Verifies a rule set against the keys a node trusts (by key id). */
export function verifyRuleSet(set: RuleSet, keys: Map<string, KeyObject>): 'ok' | 'unknown_key' | 'bad_signature' {
  const key = keys.get(set.keyId);
  if (!key) return 'unknown_key';
  const { sig, ...body } = set;
  try {
    return verify(null, signedBytes(body), key, Buffer.from(sig, 'base64')) ? 'ok' : 'bad_signature';
  } catch {
    return 'bad_signature';
  }
}

/** The digest a rule set carries: SHA-256 of its rules' canonical JSON, 16 hex digits. */
export function ruleSetDigest(rules: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(rules)).digest('hex').slice(0, 16);
}
