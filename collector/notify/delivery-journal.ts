/** How one webhook attempt ended (bounded: shown on the incident page). */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'refused' | 'given_up';

/** One attempt to deliver an incident's alert state to one webhook. */
export interface DeliveryAttempt {
  incidentId: string;
  /** The webhook without credentials or query. */
  webhook: string;
  /** The alert this was: the incident's rule, or the escalation page. */
  alertname: string;
  status: 'firing' | 'resolved';
  attempt: number;
  outcome: DeliveryOutcome;
  /** The receiver's status or the error, when it did not take the alert. */
  detail?: string;
  at: number;
}

/**
 * The webhook attempts of recent incidents, in memory (the console's incident page shows them): at most
 * `maxIncidents` incidents, the oldest forgotten first, and `perIncident` attempts each. Kept only since
 * the collector started; the outbox itself forgets a delivery once it is done.
 */
export class DeliveryJournal {
  private readonly byIncident = new Map<string, DeliveryAttempt[]>();

  constructor(
    private readonly maxIncidents = 5000,
    private readonly perIncident = 50,
  ) {}

  record(a: DeliveryAttempt): void {
    let list = this.byIncident.get(a.incidentId);
    if (!list) {
      if (this.byIncident.size >= this.maxIncidents) this.byIncident.delete(this.byIncident.keys().next().value!);
      list = [];
      this.byIncident.set(a.incidentId, list);
    }
    list.push(a);
    if (list.length > this.perIncident) list.splice(0, list.length - this.perIncident);
  }

  /** An incident's attempts, oldest first (undefined when none were seen since start). */
  forIncident(id: string): readonly DeliveryAttempt[] | undefined {
    return this.byIncident.get(id);
  }
}
