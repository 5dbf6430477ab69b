import { createHash } from 'node:crypto';
import { alertFingerprint, labelSetString, rfc3339Time, ZERO_TIME, type AlertWebhookBody } from '../../protocol/alert-webhook.js';
import type { AlertState } from './alert-state.js';

/** The labels an edgewatch notification is grouped by, as alerts/alertmanager.yml groups Prometheus alerts. */
export const GROUP_BY = ['alertname', 'node', 'task'] as const;

/** Where the body's links point: the collector's externally reachable base URL. */
export interface BodyContext {
  receiver: string;
  externalURL: string;
}

/** The alert's fingerprint: the one it carries, else the one Alertmanager would compute from its labels. */
export function fingerprintOf(alert: AlertState): string {
  return alert.fingerprint ?? alertFingerprint(alert.labels);
}

/** The console page of an incident, used as the alert's generatorURL (the JSON is at /api/incidents/{id}). */
export function incidentUrl(externalURL: string, incidentId: string): string {
  return `${externalURL.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incidentId)}`;
}

/** The console's waterfall of a trace. */
export function traceUrl(externalURL: string, traceId: string): string {
  return `${externalURL.replace(/\/+$/, '')}/traces/${encodeURIComponent(traceId)}`;
}

/** The alert's annotations, with `trace_url` (the console's trace page) beside a `trace_id` that is one. */
function annotationsOf(alert: AlertState, externalURL: string): Record<string, string> {
  const traceId = alert.annotations.trace_id;
  if (!traceId || !/^[0-9a-f]{32}$/.test(traceId) || alert.annotations.trace_url !== undefined) return { ...alert.annotations };
  return { ...alert.annotations, trace_url: traceUrl(externalURL, traceId) };
}

/**
 * One Alertmanager v4 body for one alert, shaped like a group of one under `group_by: [alertname, node,
 * task]`: group labels are those three (when present), common labels and annotations are the alert's own.
 */
export function webhookBody(alert: AlertState, ctx: BodyContext): AlertWebhookBody {
  const groupLabels: Record<string, string> = {};
  const annotations = annotationsOf(alert, ctx.externalURL);
  for (const name of GROUP_BY) if (alert.labels[name] !== undefined) groupLabels[name] = alert.labels[name];
  return {
    version: '4',
    // Alertmanager's form is "<route path>:<group labels>"; "{}" is its root route.
    groupKey: `{}:${labelSetString(groupLabels)}`,
    truncatedAlerts: 0,
    status: alert.status,
    receiver: ctx.receiver,
    groupLabels,
    commonLabels: { ...alert.labels },
    commonAnnotations: { ...annotations },
    externalURL: ctx.externalURL,
    alerts: [
      {
        status: alert.status,
        labels: { ...alert.labels },
        annotations: { ...annotations },
        startsAt: rfc3339Time(alert.startsAt),
        // Alertmanager hides the end of an alert that is still firing (types.Alerts): Go's zero time.
        endsAt: alert.status === 'resolved' && alert.endsAt !== undefined ? rfc3339Time(alert.endsAt) : ZERO_TIME,
        generatorURL: incidentUrl(ctx.externalURL, alert.incidentId),
        fingerprint: fingerprintOf(alert),
      },
    ],
  };
}

/**
 * The Idempotency-Key of a delivery: the same for every attempt and every re-send of one alert state to
 * one webhook, different for its resolution or a new episode, so receivers can drop duplicates.
 */
export function idempotencyKey(webhookUrl: string, alert: AlertState): string {
  const parts = [webhookUrl, fingerprintOf(alert), alert.status, rfc3339Time(alert.startsAt)];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}
