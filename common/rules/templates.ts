import { z } from 'zod';

/** What an annotation template can read when its alert changes state. */
export interface TemplateData {
  labels: Record<string, string>;
  value: number | undefined;
  rule: string;
}

type Part = string | ((d: TemplateData) => string);

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const HELP = 'use {{node}}, {{task}}, {{service}}, {{value}}, {{rule}} or {{labels.NAME}}';

/** A number as an annotation shows it: integers as they are, others to 3 significant decimals. */
export function formatValue(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(Math.abs(value) >= 100 ? 1 : 3)));
}

function part(name: string): Part | undefined {
  if (name === 'value') return (d) => formatValue(d.value);
  if (name === 'rule') return (d) => d.rule;
  if (name === 'node' || name === 'task' || name === 'service') return (d) => d.labels[name] ?? '';
  if (/^labels\.[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
    const label = name.slice('labels.'.length);
    return (d) => d.labels[label] ?? '';
  }
  return undefined;
}

/** Splits a template into literal text and placeholders; throws naming the first unknown placeholder. */
export function compileTemplate(text: string): (d: TemplateData) => string {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const p = part(m[1]!);
    if (!p) throw new Error(`unknown placeholder "${m[0]}": ${HELP}`);
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(p);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return (d) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(d);
    return out;
  };
}

/** An annotation template, checked at load time so a typo fails the rule file, not the first alert. */
export const template = z.string().superRefine((text, ctx) => {
  try {
    compileTemplate(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
