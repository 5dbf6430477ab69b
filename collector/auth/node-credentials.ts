import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { NAME_PATTERN } from '../../protocol/log-record.js';
import type { SqlDatabase, SqlStatement, StateHandle } from '../state/sql-database.js';

/** What a credential speaks for: an edge node (its own topics and `edgewatch.<node>.*` tags) or a service sender. */
export type IdentityKind = 'node' | 'service';

/** An identity the collector knows: who may log in to the broker and the forward input. */
export interface Identity {
  name: string;
  kind: IdentityKind;
  generation: number;
  createdAt: number;
}

/** The collector's own MQTT user on its embedded broker. */
export const COLLECTOR_USER = 'edgewatch-collector';

interface Row {
  name: string;
  kind: IdentityKind;
  generation: number;
  created_ms: number;
}

/**
 * Node and service credentials. Nothing secret is stored: a password is an HMAC of the identity under
 * the collector's credential key (`keys/node-credentials.key`), so the broker and the forward handshake
 * (which must know the password) derive it when they check it, and `rotate` (a new generation) or
 * `remove` revokes it. The forward input's shared key is derived the same way.
 */
export class NodeCredentials {
  private readonly one: SqlStatement<[string], Row>;
  private readonly all: SqlStatement<[], Row>;
  private readonly put: SqlStatement<[string, string, number, number]>;
  private readonly del: SqlStatement<[string]>;

  constructor(
    state: StateHandle,
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {
    const db = state.db;
    this.one = db.prepare('SELECT * FROM node_identities WHERE name = ?');
    this.all = db.prepare('SELECT * FROM node_identities ORDER BY name');
    this.put = db.prepare('INSERT INTO node_identities (name, kind, generation, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, generation = excluded.generation');
    this.del = db.prepare('DELETE FROM node_identities WHERE name = ?');
  }

  private derive(purpose: string): string {
    return createHmac('sha256', this.key).update(purpose).digest('base64url');
  }

  /** The password of an identity (derived, never stored). */
  passwordOf(i: Pick<Identity, 'name' | 'kind' | 'generation'>): string {
    return this.derive(`${i.kind}:${i.name}:${i.generation}`);
  }

  /** The forward input's shared key (the handshake's first factor; each sender's password is the second). */
  sharedKey(): string {
    return this.derive('forward-shared-key');
  }

  /** The collector's own password on its embedded broker. */
  collectorPassword(): string {
    return this.derive(`collector:${COLLECTOR_USER}`);
  }

  get(name: string): Identity | undefined {
    const row = this.one.get(name);
    return row && { name: row.name, kind: row.kind, generation: row.generation, createdAt: row.created_ms };
  }

  list(): Identity[] {
    return this.all.all().map((row) => ({ name: row.name, kind: row.kind, generation: row.generation, createdAt: row.created_ms }));
  }

  /**
   * Adds an identity and returns it with its password; adding one that exists returns the same password
   * again (idempotent, for init scripts). A name cannot change kind.
   */
  add(name: string, kind: IdentityKind): Identity & { password: string } {
    if (!NAME_PATTERN.test(name) || name === COLLECTOR_USER) throw new Error(`"${name}" cannot be a ${kind} name: lowercase letters, digits, - and _, 1-63 characters`);
    const existing = this.get(name);
    if (existing && existing.kind !== kind) throw new Error(`"${name}" exists as a ${existing.kind}: remove it first (edgewatch nodes remove ${name})`);
    const identity: Identity = existing ?? { name, kind, generation: 1, createdAt: this.clock.now() };
    if (!existing) this.put.run(name, kind, identity.generation, identity.createdAt);
    return { ...identity, password: this.passwordOf(identity) };
  }

  /** A new password for an existing identity: the old one stops working at once. */
  rotate(name: string): (Identity & { password: string }) | undefined {
    const existing = this.get(name);
    if (!existing) return undefined;
    const identity = { ...existing, generation: existing.generation + 1 };
    this.put.run(name, identity.kind, identity.generation, identity.createdAt);
    return { ...identity, password: this.passwordOf(identity) };
  }

  remove(name: string): boolean {
    return this.del.run(name).changes > 0;
  }

  /** Whether `password` is the collector's own (constant-time). */
  verifyCollector(password: string): boolean {
    const a = Buffer.from(this.collectorPassword());
    const b = Buffer.from(password);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The identity a user name and password log in as, or undefined; the comparison is constant-time. */
  verify(name: string, password: string): Identity | undefined {
    const i = this.get(name);
    const expected = i ? this.passwordOf(i) : this.derive('no such identity');
    const a = Buffer.from(expected);
    const b = Buffer.from(password);
    const same = a.length === b.length && timingSafeEqual(a, b);
    return same && i ? i : undefined;
  }
}
