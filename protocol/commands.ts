import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { NAME_PATTERN } from './log-record.js';

/** What the cloud can ask an edge node to do. */
export const COMMAND_TYPES = ['restart', 'stop', 'start', 'apply', 'rollback', 'release', 'snapshot'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Why an edge node refused a command (bounded: it is a metric label). */
export const REJECT_REASONS = ['malformed', 'bad_signature', 'unknown_key', 'wrong_node', 'expired', 'not_yet_valid', 'replayed', 'before_journal', 'stale_epoch', 'not_allowed', 'unknown_task', 'invalid_spec', 'no_version', 'journal_unwritable'] as const;

/** What an exporter runs when its config does not say (`commands.allow`): everything but `apply`. */
export const DEFAULT_ALLOWED_COMMANDS: readonly CommandType[] = ['restart', 'stop', 'start', 'rollback', 'release', 'snapshot'];
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The signed command envelope (DESIGN.md, "Control channel"). `spec` is the task spec for `apply`. */
export const commandSchema = z.strictObject({
  id: z.string().min(8).max(64),
  type: z.enum(COMMAND_TYPES),
  node: z.string().regex(NAME_PATTERN),
  task: z.string().regex(NAME_PATTERN).optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
  version: z.string().min(1).max(128).optional(),
  issuedAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  traceparent: z.string().max(128).optional(),
  keyId: z.string().min(1).max(64),
  sig: z.string().min(1).max(256),
});
export type Command = z.output<typeof commandSchema>;
export type UnsignedCommand = Omit<Command, 'sig' | 'keyId'>;

/** Acknowledgement states, in the order an edge sends them. */
export const ACK_STATUSES = ['accepted', 'done', 'failed', 'rejected'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

/** An edge node's answer to a command, on `edgewatch/<node>/acks`. */
export const ackSchema = z.strictObject({
  id: z.string().min(1).max(64),
  node: z.string().regex(NAME_PATTERN),
  status: z.enum(ACK_STATUSES),
  reason: z.string().max(1024).optional(),
  task: z.string().optional(),
  version: z.string().optional(),
  at: z.number().int().nonnegative(),
  /** On a `replayed` rejection: how the command ended the first time it ran. */
  original: z.enum(ACK_STATUSES).optional(),
});
export type Ack = z.output<typeof ackSchema>;

/** Key id: the first 16 hex digits of SHA-256 over the public key's DER (SPKI). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Loads an Ed25519 private key (PEM) and derives its key id. */
export function loadSigningKey(pem: string): { privateKey: KeyObject; keyId: string } {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`command signing key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  return { privateKey, keyId: keyIdOf(createPublicKey(privateKey)) };
}

/** Loads an Ed25519 public key (PEM) and derives its key id. */
export function loadVerifyKey(pem: string): { publicKey: KeyObject; keyId: string } {
  const publicKey = createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`command verification key must be Ed25519, got ${publicKey.asymmetricKeyType}`);
  return { publicKey, keyId: keyIdOf(publicKey) };
}

/** The bytes a signature covers: the canonical JSON of every field except `sig`. */
export function signedBytes(cmd: Omit<Command, 'sig'>): Buffer {
  return Buffer.from(canonicalJson(cmd), 'utf8');
}

/** Signs a command with Ed25519. */
export function signCommand(cmd: UnsignedCommand, key: { privateKey: KeyObject; keyId: string }): Command {
  const body = { ...cmd, keyId: key.keyId };
  const sig = sign(null, signedBytes(body), key.privateKey).toString('base64');
  return { ...body, sig };
}

/** Verifies a command's signature against the keys an edge trusts (by key id). */
export function verifyCommand(cmd: Command, keys: Map<string, KeyObject>): 'ok' | 'unknown_key' | 'bad_signature' {
  const key = keys.get(cmd.keyId);
  if (!key) return 'unknown_key';
  const { sig, ...body } = cmd;
  let ok = false;
  try {
    ok = verify(null, signedBytes(body), key, Buffer.from(sig, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? 'ok' : 'bad_signature';
}
