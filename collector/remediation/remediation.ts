import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import type { CollectorConfig } from '../config.js';
import type { IncidentBook } from '../incidents/incident-book.js';
import { Guardrails, guardrailOptionsOf, type GuardrailOptions } from '../../common/remediation/guardrails.js';
import { Migrator } from './migrator.js';
import type { RemediationPorts } from './ports.js';
import { RemediationMetrics } from './remediation-metrics.js';
import { Remediator } from './remediator.js';

/** The guardrail limits of `remediation.*` in the collector config. */
export function guardrailOptions(r: CollectorConfig['remediation']): GuardrailOptions {
  return guardrailOptionsOf(r, r.breaker.minNodes);
}

/** What remediation is assembled from. */
export interface RemediationOptions {
  guards: GuardrailOptions;
  /** After a step is done: how long the rule must stay clear and the task run before the incident resolves. */
  verifyMs: number;
  migrationTimeoutMs: number;
}

/**
 * The remediation core (guardrails, migrator, remediator and their metrics) over its ports. The
 * collector's composition root and the remediation tests assemble it the same way, here.
 */
export function createRemediation(options: RemediationOptions, deps: { book: IncidentBook; ports: RemediationPorts; registry: Registry; logger: Logger; now: number }) {
  const guard = new Guardrails(options.guards, deps.now);
  const metrics = new RemediationMetrics(deps.registry);
  const migrator = new Migrator(deps.ports, metrics, options.migrationTimeoutMs, deps.logger);
  const remediator = new Remediator(deps.book, guard, migrator, deps.ports, metrics, { verifyMs: options.verifyMs }, deps.logger);
  return { guard, remediator };
}
