import type { Component } from '../../common/lifecycle.js';
import type { LeaderLease, LeaderView, LeaseListener } from './leader-lease.js';

/** Whether this collector acts (rules, incidents, remediation, webhooks, commands) or only serves reads. */
export interface Leadership {
  readonly replica: string;
  /** True when replicas share a lease (PostgreSQL); false for the one SQLite collector. */
  readonly clustered: boolean;
  isLeader(): boolean;
  /** The lease epoch commands carry (0 without a lease). */
  epoch(): number;
  leader(): LeaderView | undefined;
  on(listener: LeaseListener): void;
  /** Starts taking part (the lease's first try, or at once for the sole collector). */
  readonly component: Component;
  replicas(): Promise<Array<{ replica: string; holder: string; address: string | null; seenMsAgo: number }>>;
}

/** The one collector of a SQLite setup: it leads from its start to its stop, with epoch 0. */
export function soleLeader(replica: string, address: () => string | undefined): Leadership {
  const listeners: LeaseListener[] = [];
  let leading = false;
  return {
    replica,
    clustered: false,
    isLeader: () => leading,
    epoch: () => 0,
    leader: () => (leading ? { replica, holder: replica, ...(address() ? { address: address()! } : {}), epoch: 0, expiresInMs: Infinity } : undefined),
    on: (l) => void listeners.push(l),
    component: {
      name: 'leadership',
      start() {
        leading = true;
        for (const l of listeners) l.elected(0);
      },
      stop() {
        leading = false;
        for (const l of listeners) l.deposed('stopping');
      },
    },
    replicas: async () => [{ replica, holder: replica, address: address() ?? null, seenMsAgo: 0 }],
  };
}

/** Replicas electing a leader by a lease in PostgreSQL. */
export function leaseLeadership(lease: LeaderLease): Leadership {
  return {
    replica: lease.options.replica,
    clustered: true,
    isLeader: () => lease.isLeader(),
    epoch: () => lease.epoch(),
    leader: () => lease.leader(),
    on: (l) => lease.on(l),
    component: lease,
    replicas: () => lease.replicas(),
  };
}

/** Why this replica may not act, naming the leader; undefined when it leads. */
export function notLeaderReason(l: Leadership): string | undefined {
  if (l.isLeader()) return undefined;
  const leader = l.leader();
  if (!leader || leader.expiresInMs < 0) return `replica ${l.replica} is a standby and no leader holds the lease right now: retry shortly`;
  return `replica ${l.replica} is a standby: the leader is ${leader.replica}${leader.address ? ` at ${leader.address}` : ''} (epoch ${leader.epoch})`;
}

/**
 * Runs `inner` (the forward input) only while this replica leads: a standby does not listen, so an
 * exporter's connection is refused and it moves on to its next `forward.failover` address, and every
 * record acked was stored by the leader. Starts and stops are serialised.
 */
export function whileLeading(inner: Component, leadership: Leadership, onError: (err: unknown) => void): Component {
  let chain: Promise<unknown> = Promise.resolve();
  let wanted = false;
  let up = false;
  const settle = () => {
    chain = chain.then(async () => {
      if (wanted && !up) {
        await inner.start();
        up = true;
      } else if (!wanted && up) {
        up = false;
        await inner.stop();
      }
    }).catch(onError);
    return chain;
  };
  leadership.on({
    elected: () => void ((wanted = true), settle()),
    deposed: () => void ((wanted = false), settle()),
  });
  return {
    name: inner.name,
    async start() {
      wanted = leadership.isLeader();
      await settle();
    },
    async stop() {
      wanted = false;
      await settle();
    },
  };
}
