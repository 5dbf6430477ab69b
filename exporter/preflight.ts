import { KeyFileError, readVerifyKey } from '../common/adapters/key-files.js';
import { bytesIn, freeBytes, mib, notWritable } from '../common/adapters/file-checks.js';
import { ConfigError } from '../common/errors.js';
import { loadRulesFile } from '../common/rules/rule-file.js';
import type { ExporterConfig } from './config.js';

/**
 * What `edgewatch exporter --check` finds beyond the schema, one `key: problem` line each: the command
 * key parses, a pinned edge rule file (rules.file) is valid, spool.dir (when logs are shipped) and
 * state.dir take files, and the spool's disk has room for spool.maxBytes. It creates and removes a test
 * directory, nothing else.
 */
export function exporterPreflight(config: ExporterConfig): string[] {
  const problems: string[] = [];
  if (config.commands?.publicKeyFile) {
    try {
      readVerifyKey(config.commands.publicKeyFile);
    } catch (err) {
      if (!(err instanceof KeyFileError)) throw err;
      problems.push(err.message);
    }
  }
  if (config.rules.enabled && config.rules.file) {
    try {
      loadRulesFile(config.rules.file, 'rules.file');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.issues.map((i) => `rules.file: ${config.rules.file}: ${i}`));
    }
  }
  if (config.forward) {
    const dir = config.spool.dir;
    const why = notWritable(dir);
    if (why) problems.push(`spool.dir: ${why}`);
    else {
      const room = freeBytes(dir) + bytesIn(dir);
      if (room < config.spool.maxBytes) {
        problems.push(`spool.maxBytes: ${mib(config.spool.maxBytes)} does not fit in ${dir}: ${mib(room)} there for the spool; lower spool.maxBytes or free space`);
      }
    }
  }
  const state = notWritable(config.state.dir);
  if (state) problems.push(`state.dir: ${state}`);
  return problems;
}
