import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

/** What a simulated node's MQTT session hands back. */
export interface MiniMqttEvents {
  /** A PUBLISH arrived (a command); QoS 1 ones are acked by the client. */
  message(topic: string, payload: Buffer): void;
  connected(): void;
  closed(): void;
}

/**
 * A bare MQTT 3.1.1 client for the fleet simulator: CONNECT with a Last Will, SUBSCRIBE, PUBLISH, PUBACK and
 * PINGREQ, encoded with mqtt-packet. Thousands of these cost far less than mqtt.js clients, so the
 * simulator measures the collector, not itself.
 */
export class MiniMqtt {
  private socket: Socket | undefined;
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private nextId = 1;
  private ping: NodeJS.Timeout | undefined;
  connected = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly o: { clientId: string; username?: string; password?: string; will: { topic: string; payload: string }; keepalive: number; subscribe: string },
    private readonly events: MiniMqttEvents,
  ) {
    this.parser.on('packet', (p) => this.onPacket(p));
    this.parser.on('error', () => this.socket?.destroy());
  }

  start(): void {
    const s = connect(this.port, this.host);
    this.socket = s;
    s.setNoDelay(true);
    s.on('data', (d) => this.parser.parse(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      this.connected = false;
      if (this.ping) clearInterval(this.ping);
      this.events.closed();
    });
    s.on('connect', () => {
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: this.o.clientId,
          keepalive: this.o.keepalive,
          ...(this.o.username ? { username: this.o.username, password: Buffer.from(this.o.password ?? '') } : {}),
          will: { topic: this.o.will.topic, payload: Buffer.from(this.o.will.payload), qos: 1, retain: true },
        }),
      );
    });
  }

  publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 0, retain = false): void {
    if (!this.socket || !this.connected) return;
    this.socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos, retain, dup: false, ...(qos ? { messageId: this.id() } : {}) }));
  }

  /** Drops the connection without DISCONNECT, as a lost node would: the broker publishes the Will. */
  kill(): void {
    this.socket?.destroy();
  }

  private id(): number {
    this.nextId = (this.nextId % 65535) + 1;
    return this.nextId;
  }

  private onPacket(p: mqttPacket.Packet): void {
    if (p.cmd === 'connack') {
      if (p.returnCode !== 0) return void this.socket?.destroy();
      this.connected = true;
      this.socket!.write(mqttPacket.generate({ cmd: 'subscribe', messageId: this.id(), subscriptions: [{ topic: this.o.subscribe, qos: 1 }] }));
      this.ping = setInterval(() => this.socket?.write(mqttPacket.generate({ cmd: 'pingreq' })), (this.o.keepalive * 1000) / 2);
      this.events.connected();
    } else if (p.cmd === 'publish') {
      if (p.qos === 1 && p.messageId !== undefined) this.socket!.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
      this.events.message(p.topic, Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload));
    }
  }
}
