import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import type { HostPort } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { clientIdAllowed, mayPublish, maySubscribe, type BrokerPrincipal } from '../auth/broker-acl.js';
import { MqttPacketLimit, PacketTooLarge } from './mqtt-packet-limit.js';

/** Decides who a CONNECT's user name and password log in as; undefined refuses the login. */
export type BrokerAuthenticate = (username: string | undefined, password: string | undefined) => BrokerPrincipal | undefined;

/** Refusals of the embedded broker, by reason (a metric label). */
export type BrokerRefusal = 'bad_login' | 'client_id' | 'publish_denied' | 'subscribe_denied' | 'packet_too_large';

export interface EmbeddedBrokerOptions {
  listen: HostPort;
  authenticate: BrokerAuthenticate;
  /** Largest MQTT packet accepted; a larger one closes the connection before it is buffered. */
  maxPacketBytes: number;
  refused?(reason: BrokerRefusal): void;
}

type AedesClient = { id: string; principal?: BrokerPrincipal; conn?: { remoteAddress?: string } };
type AedesError = Error & { returnCode?: number };

/**
 * The all-in-one MQTT broker (aedes, in memory): `npm start` needs nothing installed. It authenticates
 * every client (node credentials; the collector's own user), authorizes each publish and subscription
 * with the same per-node ACL as the shipped Mosquitto configuration, pins client ids to users and caps
 * packet size. Sessions and queued messages live only as long as the collector; production fleets may
 * use Mosquitto (`mqtt.url`).
 */
export class EmbeddedBroker {
  readonly name = 'mqtt-broker';
  private server: Server | undefined;
  private broker: { close(cb?: () => void): void; handle: (stream: never) => unknown } | undefined;

  constructor(
    private readonly options: EmbeddedBrokerOptions,
    private readonly logger: Logger,
  ) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** mqtt:// URL clients on this machine use to reach it. */
  get url(): string {
    const listen = this.options.listen;
    const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
    return `mqtt://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<void> {
    const { Aedes } = await import('aedes');
    const o = this.options;
    const refuse = (reason: BrokerRefusal, detail: Record<string, unknown>) => {
      o.refused?.(reason);
      this.logger.warn('mqtt client refused', { reason, ...detail });
    };
    const broker = await Aedes.createBroker({
      // [MQTT-3.1.4-2]: a client id may be up to 23 characters; node names make longer ones
      maxClientsIdLength: 128,
      authenticate: (client: AedesClient, username: string | undefined, password: Buffer | undefined, done: (err: AedesError | null, ok: boolean) => void) => {
        const principal = o.authenticate(username, password?.toString('utf8'));
        if (!principal) {
          refuse('bad_login', { user: username ?? '', client: client.id });
          return done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }), false);
        }
        if (!clientIdAllowed(principal, client.id)) {
          refuse('client_id', { user: username, client: client.id });
          return done(Object.assign(new Error('client id not allowed for this user'), { returnCode: 2 }), false);
        }
        client.principal = principal;
        done(null, true);
      },
      authorizePublish: (client: AedesClient | null, packet: { topic: string }, done: (err?: Error | null) => void) => {
        // null: the broker itself (retained messages, wills of authorized clients were checked at connect)
        if (client && (!client.principal || !mayPublish(client.principal, packet.topic))) {
          refuse('publish_denied', { user: client.principal?.name, topic: packet.topic });
          return done(new Error(`publish to ${packet.topic} not allowed`));
        }
        done(null);
      },
      authorizeSubscribe: (client: AedesClient, sub: { topic: string; qos: number }, done: (err: Error | null, sub: unknown) => void) => {
        if (!client.principal || !maySubscribe(client.principal, sub.topic)) {
          refuse('subscribe_denied', { user: client.principal?.name, topic: sub.topic });
          return done(null, null);
        }
        done(null, sub);
      },
    } as never);
    this.broker = broker as unknown as EmbeddedBroker['broker'];
    const server = createServer((socket) => {
      socket.setNoDelay(true); // tiny command and ack packets: no Nagle delay
      socket.on('error', () => socket.destroy());
      const limit = new MqttPacketLimit(o.maxPacketBytes);
      limit.on('error', (err) => {
        if (err instanceof PacketTooLarge) refuse('packet_too_large', { peer: socket.remoteAddress, err: err.message });
        socket.destroy();
      });
      socket.pipe(limit);
      broker.handle(Duplex.from({ readable: limit, writable: socket }) as never);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${o.listen.host}:${o.listen.port} (mqtt.embedded.listen): ${err.code === 'EADDRINUSE' ? 'address already in use (another MQTT broker? set mqtt.url to use it, or pick another port)' : err.message}`)),
      );
      server.listen(o.listen.port, o.listen.host, () => resolve());
    });
    this.logger.info('embedded mqtt broker listening', { address: `${o.listen.host}:${this.port}`, maxPacketBytes: o.maxPacketBytes });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
  }
}
