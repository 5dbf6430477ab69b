import type { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Clock } from '../common/clock.js';
import { EdgewatchError } from '../common/errors.js';
import { KeyedRate } from '../common/keyed-rate.js';
import type { Logger } from '../common/logger.js';
import type { Rule } from '../common/rules/rule-schema.js';
import type { AlertSignal } from '../common/rules/signals.js';
import { ApiAccess } from './api/access.js';
import { alertmanagerRoutes } from './api/alertmanager-route.js';
import { auditRoutes } from './api/audit-routes.js';
import { controlRoutes } from './api/control-routes.js';
import { CollectorHttpServer } from './api/http-server.js';
import { incidentRoutes } from './api/incident-routes.js';
import { queryRoutes } from './api/query-routes.js';
import { specRoutes } from './api/spec-routes.js';
import type { AuditLog } from './audit/audit-log.js';
import { AuthMetrics } from './auth/auth-metrics.js';
import { Authenticator } from './auth/authenticator.js';
import type { TokenStore } from './auth/token-store.js';
import { loadWebConfigFile } from './auth/web-config.js';
import type { CollectorConfig } from './config.js';
import { ConsoleAssets } from './console/console-assets.js';
import { consoleRoutes } from './console/console-routes.js';
import { ConsoleSessions } from './console/console-sessions.js';
import type { DeliveryJournal } from './notify/delivery-journal.js';
import type { CommandDispatcher } from './control/command-dispatcher.js';
import type { CommandLog } from './control/command-log.js';
import type { DesiredSpecs } from './desired/desired-specs.js';
import type { NodeRegistry } from './control/node-registry.js';
import type { IncidentBook } from './incidents/incident-book.js';
import type { IncidentStore } from './incidents/incident-store.js';
import type { EventStore } from './store/event-store.js';

/** What the API serves: the store, incidents, nodes and commands, and where alerts go. */
export interface ApiSources {
  store: EventStore;
  book: IncidentBook;
  incidents: IncidentStore;
  nodes: NodeRegistry;
  dispatcher: CommandDispatcher;
  commandLog: CommandLog;
  tokens: TokenStore;
  audit: AuditLog;
  desired: DesiredSpecs;
  /** The loaded rules (the console explains why an incident fired). */
  rules: readonly Rule[];
  /** Webhook attempts per incident (the console's incident page). */
  deliveries: DeliveryJournal;
  onAlerts(signals: AlertSignal[]): Promise<void>;
  /** Why this replica may not sign commands (a standby); undefined on the leader. */
  notLeader?(): string | undefined;
  /** GET /api/cluster and /readyz with the replica's role. */
  cluster?: Router;
  ready(): { ok: boolean; reason?: string };
  registry: Registry;
  clock: Clock;
  logger: Logger;
}

/** Loopback addresses: an API there without credentials is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The HTTP API's part of the composition root: credentials (tokens, the web config's basic-auth users,
 * the Alertmanager token), access control with per-client login limits, the routes and the server. An
 * API on a non-loopback address without any credential refuses to start.
 */
export function httpApi(config: CollectorConfig, s: ApiSources): CollectorHttpServer {
  const web = config.http.webConfigFile ? loadWebConfigFile(config.http.webConfigFile) : undefined;
  const authenticator = new Authenticator({
    tokens: s.tokens,
    basicUsers: web?.basicAuthUsers ?? new Map(),
    basicRoles: config.http.basicAuthRoles,
    ...(config.alertmanager.bearerToken ? { alertmanagerToken: config.alertmanager.bearerToken } : {}),
    failures: new KeyedRate(config.http.limits.loginFailuresPerMinute, config.http.limits.loginFailuresBurst),
    clock: s.clock,
  });
  const { host, port } = config.http.listen;
  if (!isLoopback(host) && !authenticator.required()) {
    throw new EdgewatchError(
      'EW_INSECURE_LISTEN',
      `http.listen: the API on ${host}:${port} is reachable from other machines and no credentials exist. Create a token ` +
        `(edgewatch token create --config FILE --name admin --role admin), set http.webConfigFile with basic_auth_users, or listen on 127.0.0.1`,
    );
  }
  if (!authenticator.required()) s.logger.warn('the API has no credentials: anyone on this machine can read it and send commands (edgewatch token create to require them)', { listen: `${host}:${port}` });
  const c = config.console;
  const tls = web?.tls !== undefined;
  const sessions = new ConsoleSessions({ idleMs: c.sessionIdleMinutes * 60_000, maxAgeMs: c.sessionMaxHours * 3_600_000, maxSessions: c.maxSessions });
  const access = new ApiAccess({
    authenticator,
    audit: s.audit,
    metrics: new AuthMetrics(s.registry),
    logger: s.logger,
    ...(c.enabled ? { sessions: { store: sessions, tls, now: () => s.clock.now() } } : {}),
  });
  const assets = c.enabled ? new ConsoleAssets() : undefined;
  const consolePages = assets
    ? [
        assets.routes(),
        consoleRoutes(
          {
            book: s.book,
            incidents: s.incidents,
            store: s.store,
            nodes: s.nodes,
            command: (id) => s.dispatcher.get(id) ?? s.commandLog.get(id),
            deliveries: s.deliveries,
            rules: s.rules,
            ...(c.grafanaUrl ? { grafanaUrl: c.grafanaUrl } : {}),
          },
          { access, sessions, audit: s.audit, assets, clock: s.clock, tls, maxAgeSeconds: Math.round(c.sessionMaxHours * 3600) },
        ),
      ]
    : [];
  return new CollectorHttpServer(
    config.http.listen,
    [
      ...(s.cluster ? [s.cluster] : []),
      alertmanagerRoutes({
        onAlerts: s.onAlerts,
        clock: s.clock,
        registry: s.registry,
        logger: s.logger.child({ component: 'alertmanager' }),
        access,
        audit: s.audit,
        ...(config.alertmanager.secret ? { secret: config.alertmanager.secret } : {}),
        maxBodyBytes: config.alertmanager.maxBodyBytes,
        maxAlertsPerRequest: config.alertmanager.maxAlertsPerRequest,
        alertsPerMinute: config.alertmanager.alertsPerMinute,
      }),
      incidentRoutes(s.book, s.incidents),
      queryRoutes(s.store, s.clock),
      controlRoutes({ nodes: s.nodes, dispatcher: s.dispatcher, commandLog: s.commandLog, access, audit: s.audit, clock: s.clock, limits: config.http.limits, ...(s.notLeader ? { notLeader: s.notLeader } : {}) }),
      auditRoutes(s.audit, access, s.clock),
      specRoutes(s.desired, access, s.audit),
      ...consolePages,
    ],
    s.registry,
    s.ready,
    s.logger.child({ component: 'http' }),
    { access, metricsAuth: config.http.metricsAuth, ...(web?.tls ? { tls: web.tls } : {}) },
  );
}
