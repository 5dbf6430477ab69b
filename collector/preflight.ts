import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { notWritable } from '../common/adapters/file-checks.js';
import { KeyFileError, readSigningKey } from '../common/adapters/key-files.js';
import { ConfigError, EdgewatchError, errorMessage } from '../common/errors.js';
import { loadRulesFile } from '../common/rules/rule-file.js';
import type { CollectorConfig } from './config.js';
import { openStoreFile, storeFilesOf, type StoreFile } from './store/store-file.js';

/** Opens an existing database read-only; `quick` also runs quick_check (for the small files). */
function probeDatabase(path: string, quick: boolean): void {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const result = quick ? db.pragma('quick_check(1)', { simple: true }) : 'ok';
    if (result !== 'ok') throw new Error(`quick_check: ${String(result)}`);
  } finally {
    db.close();
  }
}

function tlsProblems(tls: NonNullable<CollectorConfig['forward']['tls']>): string[] {
  const out: string[] = [];
  try {
    new X509Certificate(readFileSync(tls.certFile));
  } catch (err) {
    out.push(`forward.tls.certFile: ${tls.certFile}: not a readable PEM certificate (${errorMessage(err)})`);
  }
  try {
    createPrivateKey(readFileSync(tls.keyFile));
  } catch (err) {
    out.push(`forward.tls.keyFile: ${tls.keyFile}: not a readable PEM private key (${errorMessage(err)})`);
  }
  return out;
}

/**
 * What `edgewatch collector --check` finds beyond the schema, one `key: problem` line each: the signing
 * key parses, the rules compile, the store's directory takes files, the database files that exist are
 * intact (header and size; quick_check on the small ones), and the TLS files parse. It writes nothing but
 * a test directory it removes.
 */
export function collectorPreflight(config: CollectorConfig): string[] {
  const p = config.paths;
  const problems: string[] = [];
  const keyed = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.issues.map((i) => `${err.file}: ${i}`));
      else if (err instanceof EdgewatchError) problems.push(err.message);
      else throw err;
    }
  };
  if (!p.generatedKeysDir || existsSync(p.commandKey)) keyed(() => void readSigningKey(p.commandKey, p.keys.commandKey));
  else {
    const why = notWritable(p.generatedKeysDir);
    if (why) problems.push(`${p.keys.commandKey}: the key pair cannot be generated: ${why}`);
  }
  keyed(() => void loadRulesFile(p.rules, p.keys.rules));
  // with store.url the stores are in PostgreSQL: nothing on disk to check (the start says if it is unreachable)
  if (p.store !== ':memory:' && !config.store.url) {
    const dirs = [[dirname(p.store), p.keys.store]];
    if (dirname(p.outbox) !== dirname(p.store)) dirs.push([dirname(p.outbox), p.keys.outbox]);
    for (const [dir, key] of dirs) {
      const why = notWritable(dir!);
      if (why) problems.push(`${key}: ${why}`);
    }
    const f = storeFilesOf(p);
    const files: Array<[StoreFile, boolean]> = [[f.store, false], [f.state, true], [f.outbox, true]];
    for (const [file, quick] of files) if (existsSync(file.path)) keyed(() => openStoreFile(file, () => probeDatabase(file.path, quick)));
  }
  if (config.forward.tls) problems.push(...tlsProblems(config.forward.tls));
  return problems;
}
