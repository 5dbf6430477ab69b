import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How one delivery attempt ended: a closed set, used as the `result` label. */
export const DELIVERY_RESULTS = ['success', 'retry', 'failed', 'rejected_4xx'] as const;
export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

/** The notifier's metrics; every result series is pre-created so dashboards see zeros, not gaps. */
export class WebhookMetrics {
  static readonly names = [
    'edgewatch_collector_webhook_deliveries_total',
    'edgewatch_collector_webhook_request_duration_seconds',
    'edgewatch_collector_webhook_delivery_latency_seconds',
    'edgewatch_collector_webhook_outbox_pending',
  ];
  private readonly deliveries: Counter<'result'>;
  private readonly requestDuration: Histogram;
  private readonly deliveryLatency: Histogram;

  constructor(registry: Registry, pending: () => number) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'edgewatch_collector_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result: success (2xx), retry (5xx, timeout, connection error; tried again), failed (given up), rejected_4xx (never retried).',
      labelNames: ['result'],
      registers,
    });
    for (const result of DELIVERY_RESULTS) this.deliveries.inc({ result }, 0);
    this.requestDuration = new Histogram({
      name: 'edgewatch_collector_webhook_request_duration_seconds',
      help: 'Duration of each webhook HTTP request, whatever its outcome.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'edgewatch_collector_webhook_delivery_latency_seconds',
      help: 'Time from an alert state being queued to its 2xx answer, retries included.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    new Gauge({
      name: 'edgewatch_collector_webhook_outbox_pending',
      help: 'Webhook deliveries waiting in the outbox (in flight or in backoff).',
      registers,
      collect() {
        this.set(pending());
      },
    });
  }

  attempt(result: DeliveryResult, requestSeconds?: number): void {
    this.deliveries.inc({ result });
    if (requestSeconds !== undefined) this.requestDuration.observe(requestSeconds);
  }

  delivered(latencySeconds: number): void {
    this.deliveryLatency.observe(latencySeconds);
  }
}
