import { z } from 'zod';

// The Alertmanager webhook body, version 4 (alertmanager notify/webhook/webhook.go `Message`, which embeds
// template/template.go `Data`). The collector sends it to `notify.webhooks[]` and accepts it on
// POST /api/alertmanager; unknown keys are ignored so a newer Alertmanager that adds fields still passes.

/** `endsAt` of a firing alert: Go's zero `time.Time`, which Alertmanager sends while the end is not reached. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** An Alertmanager fingerprint: a 64-bit hash of the label set printed as 16 lowercase hex digits (`%016x`). */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

const labelSet = z.record(z.string(), z.string());
// Go marshals time.Time as RFC 3339 with up to nine fractional digits and the location's offset.
const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. "2026-01-01T00:00:00Z"' });

/** One alert of a webhook body (template.go `Alert`). */
export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: rfc3339,
  endsAt: rfc3339,
  generatorURL: z.string().default(''),
  fingerprint: z.string().regex(FINGERPRINT_PATTERN, 'must be 16 lowercase hex digits'),
});
export type WebhookAlert = z.output<typeof webhookAlertSchema>;

/** The whole v4 body; `status` is firing when any alert fires (types.Alerts(...).Status()). */
export const alertWebhookSchema = z.object({
  version: z.literal('4', { message: 'must be "4" (the Alertmanager webhook version this collector speaks)' }),
  groupKey: z.string(),
  // Added in Alertmanager 0.22 together with max_alerts; older senders leave it out.
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  alerts: z.array(webhookAlertSchema),
});
export type AlertWebhookBody = z.output<typeof alertWebhookSchema>;

const FNV64_OFFSET = 14695981039346656037n;
const FNV64_PRIME = 1099511628211n;
const MASK64 = (1n << 64n) - 1n;
const SEPARATOR = 0xff;

/**
 * The fingerprint Prometheus and Alertmanager give a label set (prometheus/common model.labelSetToFingerprint:
 * FNV-1a 64 over the sorted names and values, each followed by byte 0xff), so an alert keeps one identity
 * whichever of them raised it.
 */
export function alertFingerprint(labels: Record<string, string>): string {
  let h = FNV64_OFFSET;
  const add = (byte: number) => {
    h = ((h ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  };
  // Go sorts the names by their UTF-8 bytes.
  const names = Object.keys(labels).map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }));
  names.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  for (const { name, bytes } of names) {
    for (const b of bytes) add(b);
    add(SEPARATOR);
    for (const b of Buffer.from(labels[name]!, 'utf8')) add(b);
    add(SEPARATOR);
  }
  return h.toString(16).padStart(16, '0');
}

/** Formats epoch milliseconds the way Go marshals a UTC time.Time (RFC 3339, fraction without trailing zeros). */
export function rfc3339Time(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** A label set as Alertmanager prints it in a group key: `{a="1", b="2"}`, names sorted. */
export function labelSetString(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}
