import { join } from 'node:path';
import { TokenStore } from '../../collector/auth/token-store.js';
import { loadCollectorConfig, type CollectorConfig } from '../../collector/config.js';
import { startCollector, type RunningCollector } from '../../collector/main.js';
import { StateDb } from '../../collector/state/state-db.js';
import { FakeClock, systemClock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { tempDir } from './paths.js';

/** The tokens a secured test collector starts with, one per role, plus one that has expired. */
export interface RoleTokens {
  admin: string;
  operator: string;
  viewer: string;
  alertmanager: string;
  expired: string;
}

/** What a call to the API answered. */
export interface ApiAnswer<T = { error?: string; message?: string } & Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A collector on ephemeral loopback ports whose API requires tokens, and a client for it. */
export interface SecureCollector {
  collector: RunningCollector;
  config: CollectorConfig;
  dir: string;
  tokens: RoleTokens;
  base: string;
  /** Calls the API; `token` is sent as a bearer token, `body` as JSON unless it is a string. */
  call<T = ApiAnswer['body']>(path: string, o?: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiAnswer<T>>;
  stop(): Promise<void>;
}

/** Creates one token per role in the state DB the collector will open (before it starts, so no wait). */
export function seedTokens(statePath: string): RoleTokens {
  const state = new StateDb(statePath);
  try {
    const tokens = new TokenStore(state, systemClock);
    const past = new TokenStore(state, new FakeClock(Date.now() - 10 * 86_400_000));
    return {
      admin: tokens.create('admin', 'admin').token,
      operator: tokens.create('oncall', 'operator').token,
      viewer: tokens.create('dashboard', 'viewer').token,
      alertmanager: tokens.create('alertmanager', 'alertmanager').token,
      expired: past.create('old-ci', 'admin', 86_400_000).token,
    };
  } finally {
    state.close();
  }
}

/** Starts a collector with `yaml` lines added to an ephemeral-port config, and role tokens seeded. */
export async function startSecureCollector(yaml: string[] = [], o: { tokens?: boolean; logger?: Logger } = {}): Promise<SecureCollector> {
  const tmp = tempDir('edgewatch-secure-');
  const config = loadCollectorConfig(
    [
      ...(yaml.some((l) => l.startsWith('forward:')) ? [] : ['forward: {listen: "127.0.0.1:0"}']),
      'mqtt: {embedded: {listen: "127.0.0.1:0"}}',
      `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`,
      ...(yaml.some((l) => l.startsWith('http:')) ? [] : ['http: {listen: "127.0.0.1:0"}']),
      ...yaml,
    ].join('\n'),
  );
  const tokens = o.tokens === false ? ({} as RoleTokens) : seedTokens(config.paths.state);
  let collector: RunningCollector;
  try {
    collector = await startCollector(config, { logger: o.logger ?? silentLogger });
  } catch (err) {
    tmp.cleanup();
    throw err;
  }
  const base = `http://127.0.0.1:${collector.httpPort}`;
  return {
    collector,
    config,
    dir: tmp.dir,
    tokens,
    base,
    async call(path, c = {}) {
      const headers: Record<string, string> = { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...c.headers };
      let body: string | undefined;
      if (c.body !== undefined) {
        body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(base + path, { method: c.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { text };
      }
      return { status: res.status, headers: res.headers, body: parsed as never, text };
    },
    async stop() {
      await collector.stop();
      tmp.cleanup();
    },
  };
}
