import { Gauge, type Registry } from 'prom-client';
import type { Leadership } from './leadership.js';

export const clusterMetricNames = ['edgewatch_collector_leader', 'edgewatch_collector_lease_epoch'] as const;

/** `edgewatch_collector_leader{replica}` (1 on the leader, 0 on a standby) and the lease epoch it leads with. */
export function registerClusterMetrics(registry: Registry, l: Leadership): void {
  new Gauge({
    name: 'edgewatch_collector_leader',
    help: 'Whether this collector replica holds the leader lease (1) or is a standby (0)',
    labelNames: ['replica'],
    registers: [registry],
    collect() {
      this.set({ replica: l.replica }, l.isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'edgewatch_collector_lease_epoch',
    help: 'The lease epoch of the leader as this replica last saw it (fencing token carried by commands)',
    registers: [registry],
    collect() {
      this.set(l.leader()?.epoch ?? 0);
    },
  });
}
