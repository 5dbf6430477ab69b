import { Counter, type Registry } from 'prom-client';
import { AUTH_FAILURES, type AuthFailure } from './authenticator.js';

/** Why a request was refused after authentication or before it (bounded: a metric label). */
export const REFUSALS = ['forbidden', 'bad_host', 'rate_limited', 'bad_request', 'too_large', 'csrf'] as const;
export type Refusal = (typeof REFUSALS)[number];

/** API access metrics: failed logins by reason, and refused requests by reason. */
export class AuthMetrics {
  static readonly names = ['edgewatch_collector_api_auth_failures_total', 'edgewatch_collector_api_refused_total'];
  private readonly failures: Counter<'reason'>;
  private readonly refusals: Counter<'reason'>;

  constructor(registry: Registry) {
    this.failures = new Counter({ name: 'edgewatch_collector_api_auth_failures_total', help: 'API requests whose credentials were missing, wrong, expired or rate-limited, by reason.', labelNames: ['reason'], registers: [registry] });
    for (const reason of AUTH_FAILURES) this.failures.inc({ reason }, 0);
    this.refusals = new Counter({ name: 'edgewatch_collector_api_refused_total', help: 'Authenticated API requests refused: role too low (forbidden), a non-local Host on an open API, per-caller limits, bad input, a console session writing without its CSRF token (csrf).', labelNames: ['reason'], registers: [registry] });
    for (const reason of REFUSALS) this.refusals.inc({ reason }, 0);
  }

  failed(reason: AuthFailure): void {
    this.failures.inc({ reason });
  }

  refused(reason: Refusal): void {
    this.refusals.inc({ reason });
  }
}
