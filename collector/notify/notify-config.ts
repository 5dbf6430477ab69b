import { z } from 'zod';

const webhookUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL, e.g. "http://alertmanager-receiver:9095/hook"');

/** A shared secret: long enough that guessing it is not an option. */
export const secretString = z.string().refine((s) => s.length >= 16, 'must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)');

/** One `notify.webhooks[]` entry: where incidents are sent as Alertmanager v4 bodies, and how hard to try. */
export const webhookConfigSchema = z
  .strictObject({
    url: webhookUrl,
    /** The body's `receiver` field (Alertmanager puts its receiver name there). */
    receiver: z.string().min(1).default('edgewatch'),
    /** HMAC-SHA256 key for the X-Edgewatch-Signature header; no header without it. */
    secret: secretString.optional(),
    timeoutSeconds: z.number().min(0.1).default(10),
    maxAttempts: z.number().int().min(1).max(1000).default(20),
    backoffInitialSeconds: z.number().min(0.01).default(1),
    backoffMaxSeconds: z.number().min(0.01).default(300),
  })
  .refine((w) => w.backoffMaxSeconds >= w.backoffInitialSeconds, {
    message: 'must be >= backoffInitialSeconds',
    path: ['backoffMaxSeconds'],
  });
export type WebhookConfig = z.output<typeof webhookConfigSchema>;

/** The collector's `notify` block; `collector/config.ts` uses it as is. */
export const notifyConfigSchema = z
  .strictObject({
    webhooks: z.array(webhookConfigSchema).default([]),
    /** How receivers reach this collector: the base of each alert's generatorURL and of `externalURL`. */
    externalURL: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL, e.g. "https://collector.example.net"').optional(),
    /** SQLite file of the delivery outbox; next to `store.path` when absent. */
    outboxPath: z.string().min(1).optional(),
  })
  .superRefine((n, ctx) => {
    // The URL is a delivery's identity in the outbox and in its idempotency key.
    const seen = new Set<string>();
    n.webhooks.forEach((w, i) => {
      if (seen.has(w.url)) ctx.addIssue({ code: 'custom', message: 'is listed twice; give each receiver one entry', path: ['webhooks', i, 'url'] });
      seen.add(w.url);
    });
  })
  .prefault({});
export type NotifyConfig = z.output<typeof notifyConfigSchema>;
