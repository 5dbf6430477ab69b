import type { IClientOptions, MqttClient } from 'mqtt';
import { EdgewatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import { topicMatches, type LinkState, type MessageBus, type MessageHandler, type PublishOptions } from '../message-bus.js';

/** Connection settings of an MQTT control-channel client. */
export interface MqttBusOptions {
  /** The broker; a function is read at {@link MqttBus.start}, so a broker started just before can be named. */
  url: string | (() => string);
  /** Stable across restarts, so the broker keeps the persistent session (queued QoS 1 messages). */
  clientId: string;
  username?: string;
  password?: string;
  will?: { topic: string; payload: string; retain: boolean };
  /** Published (retained, QoS 1) after every connect, e.g. `online` on the status topic. */
  birth?: { topic: string; payload: string; retain: boolean };
  keepaliveSeconds?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /**
   * A refused login (bad username or password, not authorised): `fail` rejects {@link MqttBus.start}
   * (the default); `retry` keeps retrying with backoff and reports the link as `refused`, for a process
   * whose other work must go on (the exporter's supervision).
   */
  onRefused?: 'fail' | 'retry';
  /** The config keys that hold the credentials, named in the refusal message. */
  credentialKeys?: string;
}

/** A broker URL fit for logs and messages: a password in it (`mqtt://user:secret@host`) is masked. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** CONNACK codes of a refused login: 3.1.1 bad user name or password (4), not authorised (5); 5.0 (134, 135). */
const REFUSED = new Set([4, 5, 134, 135]);

/**
 * The control channel over mqtt.js: persistent session (clean: false), QoS 1, Last Will, and a PUBACK
 * sent only after the subscriber's handler resolved (mqtt.js acks when `handleMessage` calls back, and its
 * default calls back at once). Reconnects back off exponentially with jitter, which mqtt.js lacks
 * (MQTT.js#561), and subscriptions are renewed whenever the broker reports no session (MQTT.js#1001).
 */
export class MqttBus implements MessageBus {
  readonly name = 'mqtt';
  private client: MqttClient | undefined;
  private readonly subs: Array<{ filter: string; handler: MessageHandler }> = [];
  private readonly listeners: Array<(c: boolean) => void> = [];
  private readonly linkListeners: Array<(state: LinkState, detail?: string) => void> = [];
  private refusal: string | undefined;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly options: MqttBusOptions,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Why the broker refused the last login, while it does; undefined once a login works. */
  get refused(): string | undefined {
    return this.refusal;
  }

  /** Called on every change of the link: connected, disconnected, or refused (with the message). */
  onLinkState(listener: (state: LinkState, detail?: string) => void): void {
    this.linkListeners.push(listener);
  }

  /** Connects (loading mqtt.js on first use); resolves on the first CONNACK or rejects on a refused login. */
  async start(): Promise<void> {
    const { default: mqtt } = await import('mqtt');
    const o = this.options;
    const url = typeof o.url === 'function' ? o.url() : o.url;
    const shown = withoutPassword(url);
    const opts: IClientOptions = {
      clientId: o.clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: o.keepaliveSeconds ?? 15,
      reconnectPeriod: 0, // reconnects are scheduled here, with jitter
      connectTimeout: 10_000,
      resubscribe: false,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.will ? { will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: o.will.retain } } : {}),
    };
    const client = mqtt.connect(url, opts);
    this.client = client;
    client.handleMessage = (packet, callback) => {
      this.dispatch(packet.topic, packet.payload as Buffer).then(
        () => callback(),
        (err: unknown) => {
          // not acked: the broker redelivers it on the next connection
          this.logger.error('control message handler failed', { topic: packet.topic, err });
        },
      );
    };
    client.on('connect', (connack) => {
      this.attempts = 0;
      if (this.refusal !== undefined) this.logger.info('mqtt login accepted again', { url: shown });
      this.refusal = undefined;
      for (const l of this.linkListeners) l('connected');
      // commands and acks are tiny: without this, Nagle and delayed ACKs add ~40 ms to each round trip
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.logger.info('mqtt connected', { url: shown, sessionPresent: connack.sessionPresent });
      // renewed on every connect: a broker restarted without persistence has forgotten them (MQTT.js#1001)
      for (const s of this.subs) client.subscribe(s.filter, { qos: 1 });
      if (o.birth) client.publish(o.birth.topic, o.birth.payload, { qos: 1, retain: o.birth.retain });
      for (const l of this.listeners) l(true);
    });
    client.on('close', () => {
      for (const l of this.listeners) l(false);
      if (this.refusal === undefined) for (const l of this.linkListeners) l('disconnected');
      this.scheduleReconnect();
    });
    client.on('error', (err: Error & { code?: number }) => {
      if (err.code !== undefined && REFUSED.has(err.code)) this.noteRefusal(shown, err);
      else this.logger.warn('mqtt error', { err: err.message });
    });
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        client.off('error', onError);
        resolve();
      };
      const onError = (err: Error & { code?: number }) => {
        if (err.code === undefined || !REFUSED.has(err.code)) return;
        client.off('connect', onConnect);
        client.off('error', onError);
        if (o.onRefused === 'retry') return resolve(); // decided: retried with backoff, reported as refused
        this.closing = true;
        client.end(true);
        reject(new EdgewatchError('EW_MQTT_LOGIN_REFUSED', this.refusal!));
      };
      client.once('connect', onConnect);
      client.on('error', onError);
      // an unreachable broker is not fatal: edge autonomy goes on and the client keeps retrying
      client.once('close', () => resolve());
    });
  }

  /** Records a refused login; the log gets a line when the refusal starts or its reason changes. */
  private noteRefusal(url: string, err: Error): void {
    const keys = this.options.credentialKeys ?? 'mqtt.username / mqtt.password';
    const message = `MQTT broker ${url} refused the login (${err.message.replace(/^Connection refused: /, '')}): fix ${keys}, or this user's entry in the broker's password file`;
    if (message !== this.refusal) {
      this.logger.error('mqtt login refused', { url, username: this.options.username, err: err.message, fix: keys, retry: this.options.onRefused === 'retry' });
    }
    this.refusal = message;
    for (const l of this.linkListeners) l('refused', message);
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const base = Math.min(this.options.reconnectMaxMs ?? 30_000, (this.options.reconnectInitialMs ?? 500) * 2 ** this.attempts++);
    const delay = base / 2 + this.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.client?.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async dispatch(topic: string, payload: Buffer): Promise<void> {
    for (const s of this.subs) if (topicMatches(s.filter, topic)) await s.handler(topic, payload);
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('mqtt not started'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.subs.push({ filter, handler });
    const client = this.client;
    if (client?.connected) {
      await new Promise<void>((resolve, reject) => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    }
  }

  onConnection(listener: (connected: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Component stop: {@link close} with its default grace. */
  stop(): Promise<void> {
    return this.close();
  }

  /** Drops the connection without a DISCONNECT packet, as a lost link would (the broker publishes the Will). */
  async abort(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /**
   * Closes cleanly (the Last Will is not published: publish `offline` yourself first if you want it),
   * waiting up to `graceMs` for in-flight QoS 1 messages, then dropping the connection.
   */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), graceMs);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
