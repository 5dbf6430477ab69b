/** The control link as the process sees it; `refused` means the broker rejected the credentials. */
export type LinkState = 'connected' | 'disconnected' | 'refused';

/** Delivery options of a publish (MQTT semantics). */
export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

/**
 * Receives one message. For QoS 1 the broker's delivery is acknowledged only after the returned promise
 * settles, so a handler that persists before returning makes the message crash-safe.
 */
export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>;

/**
 * The control channel as both deployables see it: publish, subscribe, connection state. The MQTT adapter
 * implements it over mqtt.js; {@link InMemoryBroker} implements it in-process for tests.
 */
export interface MessageBus {
  readonly connected: boolean;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  subscribe(filter: string, handler: MessageHandler): Promise<void>;
  /** Called on every (re)connection and loss of it. */
  onConnection(listener: (connected: boolean) => void): void;
  close(): Promise<void>;
}

/** MQTT topic filter matching with `+` and `#` wildcards ([MQTT-4.7.1]). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Last Will of an in-memory client, published when it drops without closing. */
export interface Will {
  topic: string;
  payload: string;
  retain?: boolean;
}

/** An in-process broker with retained messages and Last Wills, for tests of both sides without sockets. */
export class InMemoryBroker {
  private readonly retained = new Map<string, Buffer>();
  private readonly clients = new Set<InMemoryClient>();

  /** Connects a client; `will` is published if it is later {@link InMemoryClient.drop}ped. */
  connect(will?: Will): InMemoryClient {
    const c = new InMemoryClient(this, will);
    this.clients.add(c);
    return c;
  }

  /** @internal */
  async route(topic: string, payload: Buffer, retain: boolean): Promise<void> {
    if (retain) {
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    const deliveries: Array<void | Promise<void>> = [];
    for (const c of this.clients) deliveries.push(...c.deliver(topic, payload));
    await Promise.all(deliveries);
  }

  /** @internal */
  retainedFor(filter: string): Array<[string, Buffer]> {
    return [...this.retained].filter(([t]) => topicMatches(filter, t));
  }

  /** @internal */
  remove(c: InMemoryClient): void {
    this.clients.delete(c);
  }

  /** @internal */
  add(c: InMemoryClient): void {
    this.clients.add(c);
  }
}

/** A client of {@link InMemoryBroker}. */
export class InMemoryClient implements MessageBus {
  private readonly subs: Array<{ filter: string; handler: MessageHandler }> = [];
  private readonly listeners: Array<(c: boolean) => void> = [];
  connected = true;

  constructor(
    private readonly broker: InMemoryBroker,
    private readonly will?: Will,
  ) {}

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    await this.broker.route(topic, Buffer.from(payload), options.retain ?? false);
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.subs.push({ filter, handler });
    for (const [t, p] of this.broker.retainedFor(filter)) await handler(t, p);
  }

  onConnection(listener: (connected: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** @internal */
  deliver(topic: string, payload: Buffer): Array<void | Promise<void>> {
    if (!this.connected) return [];
    return this.subs.filter((s) => topicMatches(s.filter, topic)).map((s) => s.handler(topic, payload));
  }

  /** Simulates a lost connection: the broker publishes the Last Will. */
  async drop(): Promise<void> {
    this.connected = false;
    this.broker.remove(this);
    for (const l of this.listeners) l(false);
    if (this.will) await this.broker.route(this.will.topic, Buffer.from(this.will.payload), this.will.retain ?? false);
  }

  /** Connects again after {@link drop}, keeping its subscriptions (a persistent session). */
  reconnect(): void {
    this.connected = true;
    this.broker.add(this);
    for (const l of this.listeners) l(true);
  }

  async close(): Promise<void> {
    this.connected = false;
    this.broker.remove(this);
  }
}
