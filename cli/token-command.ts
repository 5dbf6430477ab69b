import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, UsageError, type Command } from './args.js';

const ROLE_HELP = 'viewer (reads), operator (restart, stop, start, rollback, snapshot), admin (everything: apply, release, tokens, audit), alertmanager (POST /api/alertmanager only)';

/** `edgewatch token create|list|revoke`: the API's bearer tokens, stored hashed in the collector's state DB. */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'create, list and revoke API tokens (bearer tokens with a role)',
  help: `Usage: edgewatch token create --config FILE --name NAME --role ROLE [--expires DURATION] [--out FILE] [--if-missing]
       edgewatch token list   --config FILE
       edgewatch token revoke --config FILE --name NAME

Tokens authenticate callers of the collector's HTTP API (Authorization: Bearer <token>). The token is
printed once (or written to --out, mode 0600); the collector keeps only its SHA-256 digest, in the state
DB beside its store. A collector applies new and revoked tokens within a second, without a restart.
Once any token exists, every /api route needs one.

Options:
  --config FILE      the collector's config file (the token goes to the state DB beside store.path)
  --data-dir DIR     instead of --config: the data directory of 'edgewatch start' (DIR/state.db)
  --name NAME        who the token is for (shown in the audit log and as a command's requestedBy)
  --role ROLE        ${ROLE_HELP}
  --expires DUR      valid for this long ("90d", "12h"); default: until revoked
  --out FILE         write the token to FILE (mode 0600) instead of printing it
  --if-missing       with --out: keep the token in FILE while it is valid for this name and role,
                     else replace it (for init scripts and containers)
  -h, --help         show this help

Examples:
  edgewatch token create --config collector.yaml --name oncall --role operator --expires 90d
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/incidents
  edgewatch token create --config collector.yaml --name alertmanager --role alertmanager --out /etc/alertmanager/edgewatch.token
  edgewatch token revoke --config collector.yaml --name oncall
`,
  async run(argv, io) {
    const [verb, ...rest] = argv;
    if (verb !== 'create' && verb !== 'list' && verb !== 'revoke') throw new UsageError(verb ? `unknown token action "${verb}" (expected create, list or revoke)` : 'missing action: edgewatch token create|list|revoke');
    const { values } = parse(rest, {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      expires: { type: 'string' },
      out: { type: 'string' },
      'if-missing': { type: 'boolean' },
    });
    const [{ ROLES }, { parseDuration }, { TokenStore }, { AuditLog }, { StateDb }, { systemClock }, { ensureTokenFile }] = await Promise.all([
      import('../collector/auth/roles.js'),
      import('../common/rules/durations.js'),
      import('../collector/auth/token-store.js'),
      import('../collector/audit/audit-log.js'),
      import('../collector/state/state-db.js'),
      import('../common/clock.js'),
      import('../collector/auth/token-file.js'),
    ]);
    let statePath: string;
    let state: InstanceType<typeof StateDb> | (import('../collector/state/sql-database.js').StateHandle & { close(): void });
    if (values.config) {
      const [{ loadCollectorConfigFile }, { openState }] = await Promise.all([import('../collector/config.js'), import('../collector/store/open-stores.js')]);
      const config = loadCollectorConfigFile(values.config);
      statePath = config.store.url ? 'postgres' : config.paths.state;
      if (statePath === ':memory:') throw new UsageError('store.path is :memory: in that config: tokens need a store on disk');
      state = openState(config);
    } else if (values['data-dir']) {
      statePath = join(values['data-dir'], 'state.db');
      state = new StateDb(statePath);
    } else throw new UsageError('--config FILE (the collector config) or --data-dir DIR is required');
    try {
      const tokens = new TokenStore(state, systemClock);
      const audit = new AuditLog(state, systemClock);
      const who = `cli:${userInfo().username}`;
      if (verb === 'list') {
        const rows = tokens.list();
        if (rows.length === 0) io.out('no tokens: the API is open on loopback and refuses to start elsewhere\n');
        for (const t of rows) {
          const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
          io.out(`${t.name}\t${t.role}\tcreated ${when(t.createdAt)}\texpires ${when(t.expiresAt)}\tlast used ${when(t.lastUsedAt)}\n`);
        }
        return 0;
      }
      if (!values.name) throw new UsageError('--name NAME is required');
      if (verb === 'revoke') {
        if (!tokens.revoke(values.name)) throw new UsageError(`no token named "${values.name}" (edgewatch token list shows them)`);
        audit.record({ who, source: 'cli', action: 'token.revoke', target: values.name, outcome: 'done' });
        io.out(`revoked ${values.name}\n`);
        return 0;
      }
      const role = values.role;
      if (!role || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of: ${ROLE_HELP}`);
      const expiresMs = values.expires === undefined ? undefined : parseDuration(values.expires);
      if (values.expires !== undefined && (expiresMs === undefined || expiresMs <= 0)) throw new UsageError(`--expires must be a duration like "90d" or "12h", got "${values.expires}"`);
      if (values['if-missing']) {
        if (!values.out) throw new UsageError('--if-missing needs --out FILE (the token is kept in that file)');
        const created = ensureTokenFile(tokens, values.name, role as (typeof ROLES)[number], values.out);
        if (created) audit.record({ who, source: 'cli', action: 'token.create', target: values.name, outcome: 'done', detail: { role } });
        io.out(created ? `token ${values.name} (${role}) written to ${values.out}\n` : `token ${values.name} in ${values.out} is valid; nothing to do\n`);
        return 0;
      }
      let created;
      try {
        created = tokens.create(values.name, role as (typeof ROLES)[number], expiresMs);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      audit.record({ who, source: 'cli', action: 'token.create', target: values.name, outcome: 'done', detail: { role, ...(created.record.expiresAt ? { expiresAt: new Date(created.record.expiresAt).toISOString() } : {}) } });
      if (values.out) {
        mkdirSync(dirname(values.out), { recursive: true });
        writeFileSync(values.out, created.token + '\n', { mode: 0o600 });
        io.out(`token ${values.name} (${role}) written to ${values.out}\n`);
      } else {
        io.out(`${created.token}\n`);
        io.err(`token ${values.name} (${role}): shown once, store it now. Use it as: Authorization: Bearer <token>\n`);
      }
      return 0;
    } finally {
      state.close();
    }
  },
};
