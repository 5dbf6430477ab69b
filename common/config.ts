import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, errorMessage } from './errors.js';

/** `a.b[2].c` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small': {
      const i = issue as z.core.$ZodIssueTooSmall;
      if (i.origin === 'string') return `must not be empty${Number(i.minimum) > 1 ? ` (at least ${i.minimum} characters)` : ''}`;
      if (i.origin === 'array') return `must have at least ${i.minimum} item(s)`;
      return `must be ${i.inclusive ? '>=' : '>'} ${i.minimum}`;
    }
    case 'too_big': {
      const i = issue as z.core.$ZodIssueTooBig;
      if (i.origin === 'string') return `must be at most ${i.maximum} characters`;
      if (i.origin === 'array') return `must have at most ${i.maximum} item(s)`;
      return `must be ${i.inclusive ? '<=' : '<'} ${i.maximum}`;
    }
    case 'invalid_type': {
      const i = issue as z.core.$ZodIssueInvalidType;
      if (i.input === undefined) return `is required (${i.expected})`;
      return `must be ${article(i.expected)}, got ${typeName(i.input)}`;
    }
    case 'invalid_value': {
      const i = issue as z.core.$ZodIssueInvalidValue;
      return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(' | ')}`;
    }
    case 'unrecognized_keys': {
      const i = issue as z.core.$ZodIssueUnrecognizedKeys;
      return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} (check the spelling against docs/)`;
    }
    case 'invalid_union':
      return issue.message && !issue.message.startsWith('Invalid input') ? issue.message : 'does not match any allowed form';
    default:
      return issue.message;
  }
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** One `path: what to fix` line per zod issue. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? issue.path : issue.path;
    return `${formatPath(path)}: ${describe(issue)}`;
  });
}

/** Parses YAML text against a schema; throws {@link ConfigError} naming every bad key. */
export function parseYamlConfig<S extends z.ZodType>(schema: S, text: string, file?: string): z.output<S> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `YAML syntax (line ${e.linePos?.[0]?.line ?? '?'}): ${e.message.split('\n')[0]}`),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // the yaml library refuses alias expansion past its limit ("billion laughs"), among others
    throw new ConfigError(file, [`YAML: ${errorMessage(err)}`]);
  }
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(file, formatIssues(result.error));
  return result.data;
}

/**
 * Reads a configuration file (YAML) as text. A file that cannot be read, or that is not UTF-8 text, is a
 * {@link ConfigError} that names it; its bytes are never echoed back.
 */
export function readConfigFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${errorMessage(err)}`]);
  }
  if (bytes.includes(0) || !isUtf8(bytes)) throw new ConfigError(path, [`not a text file (${bytes.length} bytes of binary data): is this the YAML file you meant?`]);
  return bytes.toString('utf8');
}

/** "host:port" (IPv6 as "[::1]:port"); port 0 asks the OS for a free port. */
export const hostPort = z.string().transform((value, ctx) => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `must be "host:port" (e.g. "0.0.0.0:9464"), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
});
export type HostPort = z.output<typeof hostPort>;

const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;
const FACTORS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/** Parses a Kubernetes memory quantity ("256Mi", "1G", "1048576") to bytes; undefined when malformed. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * FACTORS[m[2] ?? '']!);
}

/** A zod byte size accepting Kubernetes quantities. */
export const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseQuantity(value);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `must be a size like "256Mi", "1Gi" or "500M", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return bytes;
});
