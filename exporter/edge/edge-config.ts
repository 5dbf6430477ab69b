import { resolve } from 'node:path';
import { z } from 'zod';
import { guardrailOptionsOf, type GuardrailOptions } from '../../common/remediation/guardrails.js';

/**
 * `rules:` in the exporter config: the edge rules and the guardrails of the local ladder (restart, then
 * rollback). Without `file`, the node runs the rule set the collector distributes (signed, persisted in
 * state.dir); with it, that file is pinned and pushed sets are refused.
 */
export const edgeRulesSchema = z
  .strictObject({
    /** Pin a local rule file (its `scope: edge | both` rules run here) instead of the collector's rule set. */
    file: z.string().min(1).optional(),
    /** Turn edge rules off entirely (no evaluation, no local action). */
    enabled: z.boolean().default(true),
    /** Record what would have been done, do nothing. */
    dryRun: z.boolean().default(false),
    /** The same action on the same task at most once per this long. */
    cooldownSeconds: z.number().min(0).default(300),
    /** Local actions per minute (sustained) and at once, across all tasks of the node. */
    ratePerMinute: z.number().positive().default(6),
    burst: z.number().int().min(1).default(3),
    /** After a step: how long the rule must stay clear and the task run before the incident resolves. */
    verifySeconds: z.number().min(0.1).default(30),
    /** Stop acting when more than `openShare` of the node's tasks (and at least `minTasks`) have an incident. */
    breaker: z
      .strictObject({ openShare: z.number().min(0).max(1).default(0.5), closeShare: z.number().min(0).max(1).default(0.25), minTasks: z.number().int().min(1).default(3) })
      .prefault({}),
    /** More than `maxIncidents` of one rule and task within `windowMinutes` is flapping: stop acting on it. */
    flap: z.strictObject({ maxIncidents: z.number().int().min(1).default(3), windowMinutes: z.number().positive().default(60) }).prefault({}),
  })
  .prefault({});

export type EdgeRulesConfig = z.output<typeof edgeRulesSchema>;

/** The config with `file` resolved against the config file's folder. */
export function resolveEdgeRules(cfg: EdgeRulesConfig, baseDir: string): EdgeRulesConfig {
  return cfg.file ? { ...cfg, file: resolve(baseDir, cfg.file) } : cfg;
}

/** The shared guardrails' options from `rules.*` (the breaker counts tasks of this node, not nodes). */
export function edgeGuardrailOptions(cfg: EdgeRulesConfig): GuardrailOptions {
  return guardrailOptionsOf(cfg, cfg.breaker.minTasks);
}
