import { z } from 'zod';
import { FINGERPRINT_PATTERN } from '../../protocol/alert-webhook.js';

/**
 * What the incident pipeline hands the notifier: one incident's alert as it stands now. Times are epoch
 * milliseconds; `endsAt` is required once resolved. Without a `fingerprint`, the notifier derives the one
 * Alertmanager would give the same labels.
 */
export const alertStateSchema = z
  .strictObject({
    incidentId: z.string().min(1).max(256),
    status: z.enum(['firing', 'resolved']),
    labels: z.record(z.string(), z.string()).refine((l) => (l.alertname ?? '') !== '', 'must contain a non-empty alertname'),
    annotations: z.record(z.string(), z.string()).default({}),
    startsAt: z.number().int().nonnegative(),
    endsAt: z.number().int().nonnegative().optional(),
    fingerprint: z.string().regex(FINGERPRINT_PATTERN, 'must be 16 lowercase hex digits').optional(),
  })
  .refine((a) => a.status !== 'resolved' || a.endsAt !== undefined, { message: 'is required when status is resolved', path: ['endsAt'] });

/** An alert state as callers write it (annotations and fingerprint optional). */
export type AlertStateInput = z.input<typeof alertStateSchema>;
/** A validated alert state. */
export type AlertState = z.output<typeof alertStateSchema>;
