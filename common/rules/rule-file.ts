import { parse } from 'yaml';
import { parseYamlConfig, readConfigFile } from '../config.js';
import { ConfigError } from '../errors.js';
import { ruleFileSchema, type Rule } from './rule-schema.js';

/** `rules[3].threshold` → `rules[3] (latency-up).threshold`, so a long file's errors say which rule. */
function nameRules(issues: string[], text: string): string[] {
  let names: unknown[] = [];
  try {
    const raw = parse(text) as { rules?: unknown } | null;
    if (Array.isArray(raw?.rules)) names = raw.rules;
  } catch {
    return issues;
  }
  return issues.map((line) =>
    line.replace(/^rules\[(\d+)\]/, (whole, i: string) => {
      const name = (names[Number(i)] as { name?: unknown } | undefined)?.name;
      return typeof name === 'string' && name ? `${whole} (${name})` : whole;
    }),
  );
}

/** Parses and validates a collector rule file; throws ConfigError with one `path: fix` line per problem. */
export function loadRules(text: string, file?: string): Rule[] {
  try {
    return parseYamlConfig(ruleFileSchema, text, file).rules as Rule[];
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(file, nameRules(err.issues, text));
    throw err;
  }
}

/**
 * Reads and validates a rule file (collector config `rules.file`, or `edgewatch backtest --rules`). With
 * `configKey`, the error names the key that pointed at the file as well (`rules.file: /etc/rules.yml`).
 */
export function loadRulesFile(path: string, configKey?: string): Rule[] {
  try {
    return loadRules(readConfigFile(path), path);
  } catch (err) {
    if (configKey && err instanceof ConfigError) throw new ConfigError(`${configKey}: ${path}`, err.issues);
    throw err;
  }
}
