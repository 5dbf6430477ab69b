import { join } from 'node:path';
import { ensureSecretKey } from '../../common/adapters/secret-key-file.js';
import { systemClock } from '../../common/clock.js';
import { AuditLog } from '../audit/audit-log.js';
import { loadCollectorConfig, loadCollectorConfigFile, type CollectorConfig } from '../config.js';
import { openState } from '../store/open-stores.js';
import { NodeCredentials } from './node-credentials.js';

/** The collector's node credentials and audit log, opened from its config (or `edgewatch start`'s data dir) for the CLI. */
export async function openCredentials(configFile: string | undefined, dataDir: string | undefined): Promise<{ credentials: NodeCredentials; audit: AuditLog; config: CollectorConfig; close(): void }> {
  let config: CollectorConfig;
  if (configFile) config = loadCollectorConfigFile(configFile);
  else if (dataDir) config = loadCollectorConfig(`store: {path: ${JSON.stringify(join(dataDir, 'collector.db'))}}`);
  else throw new Error('--config FILE (the collector config) or --data-dir DIR is required');
  if (config.paths.state === ':memory:' && !config.store.url) throw new Error('store.path is :memory: in that config: node credentials need a store on disk');
  const state = openState(config);
  const credentials = new NodeCredentials(state, ensureSecretKey(config.paths.nodeKey, 'nodes.credentialsKeyFile'), systemClock);
  return { credentials, audit: new AuditLog(state, systemClock), config, close: () => state.close() };
}
