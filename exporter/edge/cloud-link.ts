import type { MessageBus } from '../../common/message-bus.js';
import { CLOUD_PRESENCE_TOPIC } from '../../protocol/topics.js';

/**
 * The node's link to the cloud: up while the broker is connected and the collector's retained presence
 * says `online` (its Last Will says `offline`). A broker that answers while the collector is stopped is no
 * link: nobody would act on what the node reports.
 */
export class CloudLink {
  private connected = false;
  private presence: string | undefined;
  private upValue = false;
  private readonly listeners: Array<(up: boolean) => void> = [];

  constructor(private readonly bus: MessageBus | undefined) {}

  /** Subscribes to the collector's presence; call before the bus connects. */
  async start(): Promise<void> {
    if (!this.bus) return;
    this.bus.onConnection((up) => {
      this.connected = up;
      if (!up) this.presence = undefined; // the retained presence comes again with the next connection
      this.update();
    });
    await this.bus.subscribe(CLOUD_PRESENCE_TOPIC, (_topic, payload) => {
      this.presence = payload.toString('utf8');
      this.update();
    });
  }

  get up(): boolean {
    return this.upValue;
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  private update(): void {
    const up = this.connected && this.presence === 'online';
    if (up === this.upValue) return;
    this.upValue = up;
    for (const l of this.listeners) l(up);
  }
}
