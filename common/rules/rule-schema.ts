import { z } from 'zod';
import { ORDERED_RESTART_REASONS, RESTART_REASONS } from '../../protocol/task-states.js';
import { duration } from './durations.js';
import { STATS, checkRobustBaseline } from './detect/rule-keys.js';
import { alertMatch, logMatch, valueField } from './match-schema.js';
import type { ActionType } from './signals.js';
import { template } from './templates.js';

/** The escalation order a rule climbs when its action does not fix things, from its `action` on. */
export const DEFAULT_LADDER = ['restart', 'rollback', 'migrate', 'page'] as const satisfies readonly ActionType[];
const ACTIONS = ['restart', 'rollback', 'migrate', 'page', 'none'] as const satisfies readonly ActionType[];
/**
 * Where a rule runs: `cloud` in the collector only; `edge` on the nodes only (edge-first: the exporter
 * acts at once, link or no link); `both` in the collector and on the nodes, where the exporter acts only
 * while its link to the collector is down.
 */
export const RULE_SCOPES = ['cloud', 'edge', 'both'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];
const MINUTE = 60_000;

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name (letters, digits and "_", not starting with a digit)');
const eventLabels = z.array(z.enum(['node', 'task', 'service'])).min(1);
const count = z.number().int().min(1).max(100_000);

const common = {
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]*$/, 'must start with a letter and use only letters, digits, "_", ".", ":" or "-"'),
  for: duration.default(0),
  keepFiringFor: duration.default(0),
  severity: z.string().min(1).optional(),
  labels: z.record(labelName, z.string()).default({}),
  annotations: z.record(labelName, template).default({}),
  action: z.enum(ACTIONS).default('none'),
  ladder: z.array(z.enum(DEFAULT_LADDER)).min(1).optional(),
  maxKeys: z.number().int().min(1).max(1_000_000).default(10_000),
  idle: duration.default(60 * MINUTE),
  scope: z.enum(RULE_SCOPES).default('cloud'),
};

const consecutiveRule = z.strictObject({
  ...common,
  kind: z.literal('consecutive'),
  by: eventLabels.optional(),
  match: logMatch,
  count,
  reset: z.enum(['fields', 'any']).default('fields'),
});

const baselineRule = z.strictObject({
  ...common,
  kind: z.literal('baseline'),
  by: eventLabels.optional(),
  match: logMatch.optional(),
  field: valueField.default('duration_ms'),
  method: z.enum(['ratio', 'zscore']).default('ratio'),
  threshold: z.number().positive(),
  baselineSamples: z.number().int().min(2).default(1000),
  currentSamples: z.number().int().min(1).default(10),
  warmup: z.strictObject({ samples: z.number().int().min(1).default(100), duration: duration.default(5 * MINUTE) }).prefault({}),
  minValue: z.number().min(0).default(0),
});

const robustBaselineRule = z.strictObject({
  ...common,
  kind: z.literal('robust-baseline'),
  by: eventLabels.optional(),
  signal: z.enum(['log', 'heartbeat']).default('log'),
  match: logMatch.optional(),
  field: z.string().optional(),
  step: duration.default(0),
  stat: z.enum(STATS).optional(),
  numerator: logMatch.optional(),
  direction: z.enum(['up', 'down', 'both']).default('both'),
  season: z.enum(['none', '1d', '1w']).default('none'),
  warmup: z.number().int().min(1).max(1_000_000).default(100),
  baselineSamples: z.number().int().min(2).max(1_000_000).default(200),
  absorbAfter: z.number().int().min(0).max(100_000).default(30),
  refractory: z.number().int().min(0).max(1_000_000).default(100),
  minScore: z.number().gt(0).lt(1).default(0.998),
  minSpread: z.number().min(0).default(0),
  unit: z.string().max(16).optional(),
});

const countRule = z.strictObject({ ...common, kind: z.literal('count'), by: eventLabels.optional(), match: logMatch, count, window: duration });

const absenceRule = z.strictObject({
  ...common,
  kind: z.literal('absence'),
  by: eventLabels.optional(),
  signal: z.enum(['heartbeat', 'log', 'task']).default('heartbeat'),
  lease: duration,
});

const crashloopRule = z.strictObject({
  ...common,
  kind: z.literal('crashloop'),
  by: eventLabels.optional(),
  count: count.default(3),
  window: duration.default(5 * MINUTE),
  ignoreReasons: z.array(z.enum(RESTART_REASONS)).default([...ORDERED_RESTART_REASONS]),
});

const patternRule = z.strictObject({
  ...common,
  kind: z.literal('pattern'),
  by: eventLabels.optional(),
  match: logMatch,
  keepFiringFor: duration.default(5 * MINUTE),
});

const alertRule = z.strictObject({ ...common, kind: z.literal('alert'), by: z.array(labelName).optional(), match: alertMatch });

const KINDS = ['consecutive', 'baseline', 'robust-baseline', 'count', 'absence', 'crashloop', 'pattern', 'alert'] as const;

/** `by:` when the rule does not say: a heartbeat has only a node, an alert is its own key (fingerprint). */
function defaultBy(spec: { kind: string; signal?: string }): string[] {
  if (spec.kind === 'alert') return [];
  if ((spec.kind === 'absence' || spec.kind === 'robust-baseline') && spec.signal === 'heartbeat') return ['node'];
  return ['node', 'task'];
}

const ruleSpec = z
  .discriminatedUnion('kind', [consecutiveRule, baselineRule, robustBaselineRule, countRule, absenceRule, crashloopRule, patternRule, alertRule], {
    error: () => `must be one of ${KINDS.map((k) => JSON.stringify(k)).join(' | ')}`,
  })
  .superRefine((rule, ctx) => {
    const issue = (message: string, ...path: string[]) => ctx.addIssue({ code: 'custom', message, path });
    if (rule.ladder) {
      if (rule.action === 'none') issue('a rule with action "none" takes no action: remove the ladder or set an action', 'ladder');
      else if (rule.ladder[0] !== rule.action) issue(`must start with the rule's action "${rule.action}", e.g. [${rule.action}, page]`, 'ladder');
      if (new Set(rule.ladder).size !== rule.ladder.length) issue('must not repeat a step', 'ladder');
    }
    if (rule.kind === 'baseline' && rule.method === 'ratio' && rule.threshold <= 1) {
      issue('a ratio threshold must be > 1 (4 means the current value is 4 times its baseline: up 300%)', 'threshold');
    }
    if (rule.kind === 'robust-baseline') checkRobustBaseline(rule, issue);
    if ((rule.kind === 'count' || rule.kind === 'crashloop') && rule.window <= 0) issue('must be longer than 0s', 'window');
    if (rule.kind === 'absence' && rule.lease <= 0) issue('must be longer than 0s', 'lease');
    if (rule.kind === 'absence' && rule.idle <= rule.lease) issue(`must be longer than the lease, or keys are forgotten before they can fire`, 'idle');
    if (rule.kind === 'pattern') {
      if (rule.for > 0) issue('a pattern fires on a matching line, so it is never pending: remove "for" (use kind count for "N lines within a window")', 'for');
      if (rule.keepFiringFor <= 0) issue('a pattern resolves keepFiringFor after the last matching line: set it, e.g. "5m"', 'keepFiringFor');
    }
    if (rule.scope !== 'cloud' && (rule.kind === 'alert' || (rule.kind === 'absence' && rule.signal === 'heartbeat'))) {
      issue(`a ${rule.kind === 'alert' ? 'Prometheus alert' : 'heartbeat'} rule sees only what reaches the collector: use scope "cloud"`, 'scope');
    }
    if ((rule.kind === 'consecutive' || rule.kind === 'count' || rule.kind === 'pattern') && isEmptyMatch(rule.match)) {
      issue('must name at least one matcher, e.g. {status: ">=500"}', 'match');
    }
  })
  .transform((rule) => ({
    ...rule,
    by: rule.by ?? defaultBy(rule),
    severity: rule.severity ?? (rule.kind === 'alert' ? undefined : 'warning'),
    ladder: (rule.ladder ?? ladderFrom(rule.action)) as ActionType[],
  }));

function isEmptyMatch(m: { attrs: unknown[] }): boolean {
  return Object.keys(m).length === 1 && m.attrs.length === 0;
}

/** The default ladder from `action` on (restart → rollback → migrate → page); empty for "none". */
export function ladderFrom(action: ActionType): ActionType[] {
  const i = DEFAULT_LADDER.indexOf(action as (typeof DEFAULT_LADDER)[number]);
  return i < 0 ? [] : DEFAULT_LADDER.slice(i);
}

/** A rule file: `rules:` is a list of rules with unique names. */
export const ruleFileSchema = z.strictObject({ rules: z.array(ruleSpec) }).superRefine((file, ctx) => {
  const seen = new Map<string, number>();
  file.rules.forEach((rule, i) => {
    const first = seen.get(rule.name);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', message: `duplicate rule name "${rule.name}" (also rules[${first}]): names must be unique`, path: ['rules', i, 'name'] });
    } else seen.set(rule.name, i);
  });
});

/** One validated rule with its defaults resolved. */
export type Rule = z.output<typeof ruleSpec>;
/** The rule of one kind. */
export type RuleOf<K extends Rule['kind']> = Extract<Rule, { kind: K }>;
/** The names of the rule kinds. */
export const RULE_KINDS = KINDS;
