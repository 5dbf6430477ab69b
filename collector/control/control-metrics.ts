import { Counter, Gauge, type Registry } from 'prom-client';
import { COMMAND_TYPES } from '../../protocol/commands.js';
import type { NodeRegistry } from './node-registry.js';

const RESULTS = ['done', 'failed', 'rejected', 'timeout'] as const;

/** Control-plane metrics of the collector: nodes by status, commands by result, refused messages. */
export class ControlPlaneMetrics {
  static readonly names = ['edgewatch_collector_nodes', 'edgewatch_collector_commands_total', 'edgewatch_collector_control_rejected_total', 'edgewatch_collector_mqtt_refused_total'];
  private readonly brokerRefusals: Counter<'reason'>;
  private readonly commands: Counter<'type' | 'result'>;
  private readonly rejected: Counter<'topic'>;

  constructor(registry: Registry, nodes: NodeRegistry) {
    const registers = [registry];
    new Gauge({
      name: 'edgewatch_collector_nodes',
      help: 'Edge nodes by control-channel status (online, offline, unknown).',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = { online: 0, offline: 0, unknown: 0 };
        for (const n of nodes.list()) counts[n.status]++;
        for (const [status, v] of Object.entries(counts)) this.set({ status }, v);
      },
    });
    this.commands = new Counter({ name: 'edgewatch_collector_commands_total', help: 'Signed commands sent, by type and final result.', labelNames: ['type', 'result'], registers });
    for (const type of COMMAND_TYPES) for (const result of RESULTS) this.commands.inc({ type, result }, 0);
    this.rejected = new Counter({ name: 'edgewatch_collector_control_rejected_total', help: 'Control-channel messages that failed validation, by topic kind.', labelNames: ['topic'], registers });
    for (const topic of ['status', 'heartbeat', 'state', 'acks']) this.rejected.inc({ topic }, 0);
    this.brokerRefusals = new Counter({ name: 'edgewatch_collector_mqtt_refused_total', help: 'Embedded broker refusals: bad logins, client ids not pinned to their user, publishes and subscriptions outside the ACL, oversized packets.', labelNames: ['reason'], registers });
    for (const reason of ['bad_login', 'client_id', 'publish_denied', 'subscribe_denied', 'packet_too_large']) this.brokerRefusals.inc({ reason }, 0);
  }

  brokerRefused(reason: string): void {
    this.brokerRefusals.inc({ reason });
  }

  finished(type: string, result: string): void {
    this.commands.inc({ type, result });
  }

  rejectedMessage(topic: string): void {
    this.rejected.inc({ topic });
  }
}
