import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Clock, Timers } from '../../../common/clock.js';
import type { Logger } from '../../../common/logger.js';
import type { ForwardConfig } from '../../config.js';
import type { CollectorMetrics } from '../../metrics/collector-metrics.js';
import type { IngestBatch } from '../../pipeline/ingest-batch.js';
import type { Stage } from '../../pipeline/stage.js';
import { ByteBudget } from './byte-budget.js';
import { ForwardConnection, type ConnectionDeps } from './forward-connection.js';
import type { HandshakeConfig } from './handshake.js';

/** What the forward server needs besides its config. */
export interface ForwardServerDeps {
  pipeline: Stage<IngestBatch>;
  /** How senders authenticate (shared key, users); undefined takes any sender. */
  handshake: HandshakeConfig | undefined;
  metrics: CollectorMetrics;
  clock: Clock;
  timers: Timers;
  logger: Logger;
}

/** Pending connections the kernel may queue (capped by net.core.somaxconn; Node defaults to 511). */
const LISTEN_BACKLOG = 4096;
// [Forward v1, "Heartbeat Message"]: the server answers a UDP heartbeat with one NUL byte.
const HEARTBEAT_REPLY = Buffer.from([0]);

/**
 * The forward-protocol input (Fluent Bit's in_forward fw.c): listens on TCP or TLS, answers UDP
 * heartbeats on the same port, enforces the connection limit and owns the open connections.
 */
export class ForwardServer {
  readonly name = 'forward';
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private readonly connections = new Set<ForwardConnection>();
  private readonly perPeer = new Map<string, number>();
  private readonly connectionDeps: ConnectionDeps;

  constructor(
    private readonly config: ForwardConfig,
    private readonly deps: ForwardServerDeps,
  ) {
    const limits = config.limits;
    this.connectionDeps = {
      pipeline: deps.pipeline,
      clock: deps.clock,
      timers: deps.timers,
      limits: {
        maxFrameBytes: limits.maxFrameBytes,
        maxDecompressedBytes: limits.maxDecompressedBytes,
        maxDepth: limits.maxDepth,
        maxEntriesPerFrame: limits.maxEntriesPerFrame,
        handshakeTimeoutMs: limits.handshakeTimeoutSeconds * 1000,
        firstFrameTimeoutMs: limits.firstFrameTimeoutSeconds * 1000,
        frameTimeoutMs: limits.frameTimeoutSeconds * 1000,
        recordsPerSecond: limits.recordsPerSecondPerConnection,
        idleTimeoutMs: limits.idleTimeoutSeconds * 1000,
      },
      handshake: deps.handshake,
      budget: new ByteBudget(limits.maxBufferedBytes),
      randomBytes,
      rejected: (reason, message, peer) => {
        deps.metrics.rejected(reason);
        deps.logger.warn('forward input rejected', { reason, peer, detail: message });
      },
      debug: (message, fields) => deps.logger.debug(message, fields),
    };
  }

  /** The bound TCP port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    const { listen, tls } = this.config;
    const onSocket = (socket: Socket) => this.accept(socket);
    const server = tls
      ? createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, onSocket)
      : createServer(onSocket);
    server.on('tlsClientError', (err: Error) => this.deps.logger.debug('forward tls handshake failed', { err: err.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${listen.host}:${listen.port} (forward.listen): ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
      );
      // a fleet reconnecting at once (after a collector restart) must not overflow the accept queue:
      // a sender whose handshake is dropped there waits its whole ack timeout before trying again
      server.listen({ port: listen.port, host: listen.host, backlog: LISTEN_BACKLOG }, () => resolve());
    });
    this.server = server;
    if (this.config.heartbeat) await this.startHeartbeat();
    this.deps.logger.info('forward listening', { address: `${listen.host}:${this.port}`, tls: Boolean(tls), handshake: Boolean(this.deps.handshake), users: Boolean(this.deps.handshake?.requireUsers) });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.udp?.close();
    this.udp = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Frames already being stored finish (and are acked); nothing new is read.
    const settling = [...this.connections].map((c) => {
      c.close();
      return c.closed;
    });
    await Promise.all([closed, ...settling]);
    this.server = undefined;
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    const peer = `${address}:${socket.remotePort ?? '?'}`;
    if (this.connections.size >= this.config.limits.maxConnections) {
      this.connectionDeps.rejected('too_many_connections', `already ${this.connections.size} connections (forward.limits.maxConnections)`, peer);
      socket.destroy();
      return;
    }
    const fromPeer = this.perPeer.get(address) ?? 0;
    if (fromPeer >= this.config.limits.maxConnectionsPerPeer) {
      this.connectionDeps.rejected('too_many_connections_per_peer', `already ${fromPeer} connections from ${address} (forward.limits.maxConnectionsPerPeer)`, peer);
      socket.destroy();
      return;
    }
    this.perPeer.set(address, fromPeer + 1);
    socket.setNoDelay(true);
    const conn = new ForwardConnection(socket, peer, this.connectionDeps);
    this.connections.add(conn);
    this.deps.metrics.connectionOpened();
    socket.once('close', () => {
      if (this.connections.delete(conn)) this.deps.metrics.connectionClosed();
      const left = (this.perPeer.get(address) ?? 1) - 1;
      if (left > 0) this.perPeer.set(address, left);
      else this.perPeer.delete(address);
    });
    conn.start();
  }

  private async startHeartbeat(): Promise<void> {
    const host = this.config.listen.host;
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (_msg, rinfo) => udp.send(HEARTBEAT_REPLY, rinfo.port, rinfo.address));
    udp.on('error', (err) => this.deps.logger.warn('forward heartbeat socket error', { err: err.message }));
    await new Promise<void>((resolve) => {
      udp.once('error', (err) => {
        // The heartbeat is optional in the protocol; losing it must not stop the TCP input.
        this.deps.logger.warn('forward heartbeat disabled: cannot bind UDP', { port: this.port, err: err.message });
        resolve();
      });
      udp.bind(this.port, host, () => {
        this.udp = udp;
        resolve();
      });
    });
  }
}
