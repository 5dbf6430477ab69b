import { Counter, Gauge, type Registry } from 'prom-client';
import { COMMAND_TYPES, REJECT_REASONS, type AckStatus, type CommandType, type RejectReason } from '../../protocol/commands.js';

/** Control-channel metrics of the exporter (only registered when `mqtt.url` is set). */
export class ControlMetrics {
  static readonly names = ['edgewatch_mqtt_connected', 'edgewatch_commands_total', 'edgewatch_command_rejections_total'];
  private readonly connectedGauge: Gauge<'node'>;
  private readonly commands: Counter<'node' | 'type' | 'result'>;
  private readonly rejections: Counter<'node' | 'reason'>;

  constructor(
    registry: Registry,
    private readonly node: string,
  ) {
    const registers = [registry];
    this.connectedGauge = new Gauge({ name: 'edgewatch_mqtt_connected', help: '1 while the control channel is connected to the broker.', labelNames: ['node'], registers });
    this.commands = new Counter({
      name: 'edgewatch_commands_total',
      help: 'Commands by type and result (accepted, done, failed, rejected).',
      labelNames: ['node', 'type', 'result'],
      registers,
    });
    this.rejections = new Counter({ name: 'edgewatch_command_rejections_total', help: 'Rejected commands by reason.', labelNames: ['node', 'reason'], registers });
    this.connectedGauge.set({ node }, 0);
    for (const type of COMMAND_TYPES) for (const result of ['done', 'failed', 'rejected']) this.commands.inc({ node, type, result }, 0);
    for (const reason of REJECT_REASONS) this.rejections.inc({ node, reason }, 0);
  }

  connected(up: boolean): void {
    this.connectedGauge.set({ node: this.node }, up ? 1 : 0);
  }

  outcome(type: CommandType | undefined, status: AckStatus, reason?: RejectReason): void {
    if (type) this.commands.inc({ node: this.node, type, result: status });
    if (status === 'rejected' && reason) this.rejections.inc({ node: this.node, reason });
  }
}
