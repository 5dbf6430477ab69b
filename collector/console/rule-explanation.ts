import type { LogMatchSpec } from '../../common/rules/match-schema.js';
import type { Rule } from '../../common/rules/rule-schema.js';
import { durationText } from './format.js';

/** A number as people read it: at most 3 decimals, no trailing zeros. */
function num(v: number): string {
  return String(Number(v.toFixed(3)));
}

/** What the rule's `match` looks for, in short: `status >=500`, `level error, fatal`. */
function matchText(m: LogMatchSpec | undefined): string {
  if (!m) return 'every line';
  const parts: string[] = [];
  if (m.status) parts.push(`status ${m.status.text}`);
  if (m.duration_ms) parts.push(`duration_ms ${m.duration_ms.text}`);
  if (m.level) parts.push(`level ${m.level.join(', ')}`);
  if (m.msg) parts.push(`msg /${m.msg.source}/`);
  for (const k of ['node', 'task', 'service'] as const) if (m[k]) parts.push(`${k} ${m[k].join(', ')}`);
  for (const a of m.attrs) parts.push(`attrs.${a.name}${a.numeric ? ` ${a.numeric.text}` : ''}`);
  return parts.length ? parts.join(' and ') : 'the matched lines';
}

/**
 * Why the rule fired, as the value against the band it must leave: "6 lines in a row with status >=500
 * (fires at 6)". The rule comes from the loaded rule file; an incident from a rule that is no longer
 * there (or an Alertmanager alert) is explained by its value alone.
 */
export function explainRule(rule: Rule | undefined, value: number | undefined): { text: string; value?: string; band?: string } {
  const v = value === undefined ? undefined : num(value);
  if (!rule) return { text: v === undefined ? 'The rule is not in the loaded rule file any more.' : `Observed value ${v}.`, ...(v !== undefined ? { value: v } : {}) };
  const forText = rule.for > 0 ? `, for ${durationText(rule.for)}` : '';
  const out = (text: string, band: string) => ({ text, band, ...(v !== undefined ? { value: v } : {}) });
  switch (rule.kind) {
    case 'consecutive':
      return out(`${v ?? '?'} lines in a row matched ${matchText(rule.match)}${forText}.`, `fires at ${rule.count} in a row; expected fewer`);
    case 'baseline':
      return rule.method === 'ratio'
        ? out(`${rule.field} was ${v ?? '?'}× its own baseline (EWMA of ${rule.baselineSamples} samples against the last ${rule.currentSamples})${forText}.`, `expected below ${num(rule.threshold)}× (values under ${num(rule.minValue)} ignored)`)
        : out(`${rule.field} was ${v ?? '?'} standard deviations from its baseline${forText}.`, `expected within ±${num(rule.threshold)} σ`);
    case 'robust-baseline': {
      const what = rule.step > 0 ? `the ${rule.stat ?? 'mean'} of ${rule.field ?? 'the value'} per ${durationText(rule.step)}` : (rule.field ?? 'the value');
      const season = rule.season === 'none' ? '' : `, by hour of the ${rule.season === '1d' ? 'day' : 'week'}`;
      const way = rule.direction === 'both' ? 'up or down' : rule.direction;
      return out(
        `${what} was ${v ?? '?'}: unusual against its own robust baseline${season}${forText} (the alert's evidence gives the expected band).`,
        `fires ${way} past 3 spreads, when rarer than ${num((1 - rule.minScore) * 100)}% of its own deviations`,
      );
    }
    case 'count':
      return out(`${v ?? '?'} lines matched ${matchText(rule.match)} within ${durationText(rule.window)}.`, `fires at ${rule.count} per ${durationText(rule.window)}`);
    case 'absence':
      return out(`No ${rule.signal} for ${v ?? '?'} s.`, `expected at least one every ${durationText(rule.lease)}`);
    case 'crashloop':
      return out(`${v ?? '?'} restarts within ${durationText(rule.window)} (restarts edgewatch ordered do not count).`, `fires at ${rule.count} per ${durationText(rule.window)}`);
    case 'pattern':
      return out(`A line matched ${matchText(rule.match)}.`, `fires on any match; clears ${durationText(rule.keepFiringFor)} after the last`);
    case 'alert':
      return out('An Alertmanager alert matched this rule (POST /api/alertmanager).', 'fires while the alert fires');
  }
}
