import type { Clock } from '../../common/clock.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import type { IncidentBook } from '../incidents/incident-book.js';
import type { WebhookNotifier } from '../notify/webhook-notifier.js';
import type { Remediator } from '../remediation/remediator.js';
import type { EpochStore } from '../state/state-db.js';
import type { CollectorStores } from '../store/open-stores.js';
import { whileLeading, type Leadership } from './leadership.js';

/** What a replica resumes when it takes over, and the inputs only a leader runs. */
export interface LeaderSideDeps {
  leadership: Leadership;
  clock: Clock;
  epochs: EpochStore;
  stores: CollectorStores;
  book: IncidentBook;
  remediator: Remediator;
  notifier: WebhookNotifier;
  forwardServer: Component & { readonly port: number };
  logger: Logger;
  forwardErrors(err: unknown): void;
}

/**
 * Wires what only the leader runs. On taking over: epochs and the log store's marks are read again,
 * open incidents reloaded, remediation resumed (as after a restart) and webhook deliveries resumed from
 * the outbox. On losing the lease: webhooks stop. The forward input listens only while leading (with
 * replicas); the lone SQLite collector keeps it as a plain component, so a port in use still stops its start.
 */
export function leaderSide(d: LeaderSideDeps): { notifierStop: Component; forward: Component & { readonly port: number } } {
  d.leadership.on({
    elected(epoch) {
      const now = d.clock.now();
      d.epochs.forget();
      d.stores.resume(now);
      d.book.reload();
      d.remediator.resume(now);
      d.notifier.start();
      if (d.leadership.clustered) d.logger.info('took over: incidents, remediation and webhooks resume here', { epoch, openIncidents: d.book.unresolved().length });
    },
    deposed() {
      void d.notifier.stop();
    },
  });
  const notifierStop: Component = { name: 'notify', start() {}, stop: () => d.notifier.stop() };
  if (!d.leadership.clustered) return { notifierStop, forward: d.forwardServer };
  const wrapped = whileLeading(d.forwardServer, d.leadership, d.forwardErrors);
  return {
    notifierStop,
    forward: {
      name: wrapped.name,
      start: () => wrapped.start(),
      stop: () => wrapped.stop(),
      get port() {
        return d.forwardServer.port;
      },
    },
  };
}
