import { hostname } from 'node:os';
import type { Clock, Timers } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { CollectorConfig } from '../config.js';
import type { EventStore } from '../store/event-store.js';
import { LeaderLease } from './leader-lease.js';
import { leaseLeadership, soleLeader, type Leadership } from './leadership.js';

/** The lease in PostgreSQL for replicas sharing it; the sole collector leads alone on SQLite. */
export function leadershipOf(config: CollectorConfig, kind: 'sqlite' | 'postgres', logger: Logger, clock: Clock & Timers, monotonic: () => number, httpPort: () => number, holder: string): Leadership {
  const c = config.cluster;
  // a wildcard listen address says nothing to the others: the host name does, in a container network
  const host = ['0.0.0.0', '::', ''].includes(config.http.listen.host) ? hostname() : config.http.listen.host;
  const address = () => c.advertiseUrl ?? `http://${host}:${httpPort()}`;
  if (kind !== 'postgres' || !config.store.url) return soleLeader(c.replica, address);
  const lease = new LeaderLease(
    {
      url: config.store.url,
      ...(config.store.schema ? { schema: config.store.schema } : {}),
      replica: c.replica,
      holder,
      address,
      durationMs: c.leaseSeconds * 1000,
      renewMs: c.renewSeconds * 1000,
    },
    { clock, monotonic, logger: logger.child({ component: 'cluster' }) },
  );
  return leaseLeadership(lease);
}

/** Retention on the leader only: two replicas dropping the same partitions would only get in each other's way. */
export function leaderRetains(store: EventStore, leadership: Leadership): Pick<EventStore, 'retain'> {
  return { retain: (now) => (leadership.isLeader() ? store.retain(now) : { age: 0, size: 0 }) };
}
