import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import type { EdgeIncident, EdgeReport } from '../../protocol/edge-incident.js';
import { topics } from '../../protocol/topics.js';
import type { CloudLink } from './cloud-link.js';
import type { IncidentJournal, LocalIncident } from './incident-journal.js';

/** Incidents per report message. */
const BATCH = 20;

/** The wire form of a local incident: without the node's bookkeeping. */
export function wireIncident(i: LocalIncident): EdgeIncident {
  const { ladder: _l, step: _s, ruleFiring: _f, verifyUntil: _v, retryAt: _r, shippedRev: _p, ...wire } = i;
  return wire;
}

/**
 * Ships local incidents to the collector on `edgewatch/<node>/incidents` (QoS 1) while the link is up:
 * every revision not yet acknowledged, oldest first, and again whenever one changes. A revision counts
 * as shipped once the broker acknowledged it; the collector keeps the newest revision of each incident.
 */
export class IncidentShipper {
  private sending = false;
  private dirty = false;

  constructor(
    private readonly bus: MessageBus | undefined,
    private readonly journal: IncidentJournal,
    private readonly link: CloudLink,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly latencyMs: () => number | undefined,
    private readonly logger: Logger,
  ) {}

  /** Ships what is pending, now or right after the send under way. */
  kick(): void {
    if (!this.bus || !this.link.up) return;
    if (this.sending) {
      this.dirty = true; // the send under way goes round once more
      return;
    }
    this.sending = true;
    this.dirty = false;
    void this.drain().then(
      () => {
        this.sending = false;
        if (this.dirty) this.kick();
      },
      (err) => {
        this.sending = false;
        this.logger.warn('shipping local incidents failed; retried at the next change or when the link returns', { err });
      },
    );
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = this.journal.unshipped().slice(0, BATCH);
      if (batch.length === 0 || !this.link.up) return;
      const revs = batch.map((i) => [i.id, i.rev] as const);
      const latency = this.latencyMs();
      const report: EdgeReport = { node: this.node, sentAt: this.clock.now(), incidents: batch.map(wireIncident), ...(latency !== undefined ? { linkLatencyMs: latency } : {}) };
      await this.bus!.publish(topics.incidents(this.node), JSON.stringify(report), { qos: 1 });
      for (const [id, rev] of revs) this.journal.shipped(id, rev);
      this.logger.info('local incidents shipped', { incidents: revs.map(([id, rev]) => `${id}@${rev}`) });
    }
  }
}
