import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';

/**
 * The all-in-one MQTT broker (aedes, in memory): `npm start` needs nothing installed. Sessions and queued
 * messages live only as long as the collector; production fleets use Mosquitto (`mqtt.url`).
 */
export class EmbeddedBroker {
  readonly name = 'mqtt-broker';
  private server: Server | undefined;
  private broker: { close(cb?: () => void): void; handle: (stream: never) => unknown } | undefined;

  constructor(
    private readonly listen: HostPort,
    private readonly logger: Logger,
  ) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** mqtt:// URL clients on this machine use to reach it. */
  get url(): string {
    const host = this.listen.host === '0.0.0.0' ? '127.0.0.1' : this.listen.host === '::' ? '::1' : this.listen.host;
    return `mqtt://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<void> {
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker();
    this.broker = broker as unknown as EmbeddedBroker['broker'];
    const server = createServer((socket) => {
      socket.setNoDelay(true); // tiny command and ack packets: no Nagle delay
      broker.handle(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${this.listen.host}:${this.listen.port} (mqtt.embedded.listen): ${err.code === 'EADDRINUSE' ? 'address already in use (another MQTT broker? set mqtt.url to use it, or pick another port)' : err.message}`)),
      );
      server.listen(this.listen.port, this.listen.host, () => resolve());
    });
    this.logger.info('embedded mqtt broker listening', { address: `${this.listen.host}:${this.port}` });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
  }
}
