/** The stats a `robust-baseline` rule can judge per step (see {@link Stat}). */
export const STATS = ['value', 'mean', 'max', 'p50', 'p90', 'p99', 'rate', 'ratio'] as const;

/** The fields a heartbeat carries: the node's memory in bytes, its share of total memory, its CPU (cores). */
export const HEARTBEAT_FIELDS = ['memory_bytes', 'memory_ratio', 'cpu'] as const;
const LOG_FIELD = /^(duration_ms|status|attrs\.[^.\s]+)$/;

interface RobustKeys {
  signal: 'log' | 'heartbeat';
  field?: string | undefined;
  step: number;
  stat?: (typeof STATS)[number] | undefined;
  numerator?: unknown;
  match?: unknown;
}

/** Cross-key checks of a `robust-baseline` rule, each naming the key and the fix. */
export function checkRobustBaseline(rule: RobustKeys, issue: (message: string, ...path: string[]) => void): void {
  const stat = rule.stat ?? (rule.step > 0 ? 'mean' : 'value');
  if (rule.field !== undefined) {
    if (rule.signal === 'heartbeat' && !(HEARTBEAT_FIELDS as readonly string[]).includes(rule.field)) {
      issue(`a heartbeat carries ${HEARTBEAT_FIELDS.join(', ')}`, 'field');
    }
    if (rule.signal === 'log' && !LOG_FIELD.test(rule.field)) issue('must be duration_ms, status or attrs.NAME (a numeric field of the event)', 'field');
  }
  if (rule.signal === 'heartbeat' && rule.field === undefined) issue(`a heartbeat rule needs a field: ${HEARTBEAT_FIELDS.join(', ')}`, 'field');
  if (rule.signal === 'heartbeat' && rule.match !== undefined) issue('heartbeats carry no log fields to match: remove "match" (use by: [node])', 'match');
  if (stat === 'value' && rule.step > 0) issue('with a step, say how a step is summed up: mean, max, p50, p90, p99, rate or ratio', 'stat');
  if (stat !== 'value' && rule.step <= 0) issue(`stat "${stat}" summarises a step: set step, e.g. "1m"`, 'step');
  if (stat === 'ratio' && rule.numerator === undefined) issue('a ratio needs the events it counts: set numerator, e.g. {status: ">=500"}', 'numerator');
  if (stat !== 'ratio' && rule.numerator !== undefined) issue('only stat "ratio" reads numerator', 'numerator');
}
