import { z } from 'zod';
import { LOG_LEVELS, type LogLevelName } from '../../protocol/log-record.js';

/** A compiled numeric condition with the text it came from (`">=500"`, `"5xx"`, `[502, 503]`). */
export interface NumberTest {
  readonly text: string;
  test(n: number): boolean;
}

/** A compiled condition on one `attrs.NAME` value. */
export interface AttrTest {
  readonly name: string;
  /** Set when the condition is numeric, so a backtest value can be tested against it. */
  readonly numeric: NumberTest | undefined;
  test(value: unknown): boolean;
}

/** The `match:` of a log rule, validated and compiled: every present key must hold for an event to match. */
export interface LogMatchSpec {
  status?: NumberTest;
  duration_ms?: NumberTest;
  level?: LogLevelName[];
  msg?: RegExp;
  node?: string[];
  task?: string[];
  service?: string[];
  attrs: AttrTest[];
}

const LABEL_KEYS = ['node', 'task', 'service'] as const;
const KNOWN = 'status, duration_ms, level, msg, node, task, service or attrs.NAME';
const COMPARISON = /^(>=|<=|!=|==|=|>|<)?\s*(-?\d+(?:\.\d+)?)$/;
const CLASS = /^([1-5])xx$/i;

function compare(op: string, bound: number): (n: number) => boolean {
  switch (op) {
    case '>=': return (n) => n >= bound;
    case '<=': return (n) => n <= bound;
    case '>': return (n) => n > bound;
    case '<': return (n) => n < bound;
    case '!=': return (n) => n !== bound;
    default: return (n) => n === bound;
  }
}

/** Parses `">=500"`, `"5xx"`, `503` or `[502, 503]`; undefined when it is none of those. */
export function parseNumberTest(raw: unknown): NumberTest | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return { text: String(raw), test: (n) => n === raw };
  if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === 'number')) {
    const set = new Set(raw as number[]);
    return { text: `[${raw.join(', ')}]`, test: (n) => set.has(n) };
  }
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  const cls = CLASS.exec(text);
  if (cls) {
    const lo = Number(cls[1]) * 100;
    return { text, test: (n) => n >= lo && n < lo + 100 };
  }
  const m = COMPARISON.exec(text);
  if (!m) return undefined;
  return { text, test: compare(m[1] ?? '==', Number(m[2])) };
}

/** Compiles `msg:`; a leading `(?i)` (as in Prometheus and Go) makes it case-insensitive. */
export function parseRegex(raw: string): RegExp {
  return raw.startsWith('(?i)') ? new RegExp(raw.slice(4), 'i') : new RegExp(raw);
}

function stringList(raw: unknown): string[] | undefined {
  if (typeof raw === 'string' && raw.length > 0) return [raw];
  if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === 'string' && v.length > 0)) return raw as string[];
  return undefined;
}

function attrTest(name: string, raw: unknown): AttrTest | undefined {
  const numeric = typeof raw === 'string' && /^(>=|<=|!=|>|<)/.test(raw.trim()) ? parseNumberTest(raw) : undefined;
  if (numeric) {
    return { name, numeric, test: (v) => (typeof v === 'number' || (typeof v === 'string' && v !== '')) && numeric.test(Number(v)) };
  }
  if (typeof raw === 'number') return { name, numeric: parseNumberTest(raw), test: (v) => v === raw || (typeof v === 'string' && Number(v) === raw) };
  if (typeof raw === 'string' || typeof raw === 'boolean') {
    const want = String(raw);
    return { name, numeric: undefined, test: (v) => v !== undefined && v !== null && String(v) === want };
  }
  return undefined;
}

type Issue = (message: string, key: string) => void;

function parseKey(out: LogMatchSpec, key: string, raw: unknown, issue: Issue): void {
  if (key === 'status' || key === 'duration_ms') {
    const t = parseNumberTest(raw);
    if (t) out[key] = t;
    else issue(`must be a number, a list of numbers, a comparison like ">=500" or a class like "5xx", got ${JSON.stringify(raw)}`, key);
  } else if (key === 'level') {
    const levels = stringList(raw);
    const bad = levels?.find((l) => !(LOG_LEVELS as readonly string[]).includes(l));
    if (levels && !bad) out.level = levels as LogLevelName[];
    else issue(`must be a level or a list of levels (${LOG_LEVELS.join(', ')}), got ${JSON.stringify(bad ?? raw)}`, key);
  } else if (key === 'msg') {
    if (typeof raw !== 'string' || raw === '') return issue('must be a regular expression, e.g. "(?i)out of memory"', key);
    try {
      out.msg = parseRegex(raw);
    } catch (err) {
      issue(`is not a valid regular expression: ${(err as Error).message}`, key);
    }
  } else if ((LABEL_KEYS as readonly string[]).includes(key)) {
    const values = stringList(raw);
    if (values) out[key as (typeof LABEL_KEYS)[number]] = values;
    else issue('must be a name or a list of names', key);
  } else if (key.startsWith('attrs.') && key.length > 'attrs.'.length) {
    const t = attrTest(key.slice('attrs.'.length), raw);
    if (t) out.attrs.push(t);
    else issue('must be a string, number or boolean to compare with, or a comparison like ">=3"', key);
  } else {
    issue(`unknown matcher "${key}" (use ${KNOWN})`, key);
  }
}

/** `match:` of log rules: `{status: ">=500", level: [error, fatal], msg: "regex", attrs.x: value, node, task, service}`. */
export const logMatch = z
  .record(z.string(), z.unknown(), {
    error: 'must be a map of matchers, e.g. {status: ">=500"}',
  })
  .transform((raw, ctx) => {
    const out: LogMatchSpec = { attrs: [] };
    const issue: Issue = (message, key) => ctx.addIssue({ code: 'custom', message, path: [key] });
    for (const [key, value] of Object.entries(raw)) parseKey(out, key, value, issue);
    return out;
  });

/** `match:` of alert rules: label name → value or list of values, every label must match. */
export const alertMatch = z
  .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name'), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]), {
    error: 'must be a map of alert labels, e.g. {alertname: EdgewatchTaskDown}',
  })
  .refine((m) => Object.keys(m).length > 0, 'must name at least one label, e.g. {alertname: EdgewatchTaskDown}')
  .transform((m) => Object.entries(m).map(([name, v]) => ({ name, values: typeof v === 'string' ? [v] : v })));

/** The fields a baseline rule can read a number from. */
export const valueField = z
  .string()
  .regex(/^(duration_ms|status|attrs\.[^.\s]+)$/, 'must be duration_ms, status or attrs.NAME (a numeric field of the event)');
