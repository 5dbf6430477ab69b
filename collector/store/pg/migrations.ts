import type { SyncPg } from './sync-pg.js';

/** One step of the PostgreSQL schema; applied once, in order, and recorded in `schema_migrations`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, as versioned steps. A released step never changes: a new need is a new step. Times are
 * epoch milliseconds in bigint columns (as in SQLite), except the lease, which the database clock decides.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state: epochs, commands, incidents, tokens, desired specs, node identities, audit',
    sql: `
CREATE TABLE node_epochs (node text PRIMARY KEY, epoch bigint NOT NULL);
CREATE TABLE commands (
  id text PRIMARY KEY, node text NOT NULL, task text, type text NOT NULL,
  issued_ms bigint NOT NULL, status text NOT NULL, body text NOT NULL
);
CREATE INDEX commands_by_issued ON commands (issued_ms);
CREATE TABLE incidents (
  id text PRIMARY KEY, fingerprint text NOT NULL, status text NOT NULL,
  started_ms bigint NOT NULL, updated_ms bigint NOT NULL, body text NOT NULL
);
CREATE INDEX incidents_by_fingerprint ON incidents (fingerprint, status);
CREATE INDEX incidents_by_started ON incidents (started_ms);
-- one unresolved incident per fingerprint, whichever replica writes it
CREATE UNIQUE INDEX incidents_one_open ON incidents (fingerprint) WHERE status <> 'resolved';
CREATE TABLE api_tokens (
  id text PRIMARY KEY, name text NOT NULL UNIQUE, role text NOT NULL, digest bytea NOT NULL,
  created_ms bigint NOT NULL, expires_ms bigint, last_used_ms bigint
);
CREATE TABLE desired_specs (
  node text NOT NULL, task text NOT NULL, version text NOT NULL, source text NOT NULL,
  updated_ms bigint NOT NULL, spec text NOT NULL, PRIMARY KEY (node, task)
);
CREATE TABLE node_identities (name text PRIMARY KEY, kind text NOT NULL, generation bigint NOT NULL, created_ms bigint NOT NULL);
CREATE TABLE audit (
  seq bigserial PRIMARY KEY, at_ms bigint NOT NULL, who text NOT NULL, role text, source text,
  action text NOT NULL, target text, outcome text NOT NULL, detail text
);
CREATE INDEX audit_by_time ON audit (at_ms);
`,
  },
  {
    version: 2,
    name: 'webhook outbox with idempotency keys',
    sql: `
CREATE TABLE webhook_outbox (
  id bigserial PRIMARY KEY, webhook text NOT NULL, fingerprint text NOT NULL, idempotency_key text NOT NULL,
  body text NOT NULL, attempts integer NOT NULL DEFAULT 0, next_attempt_ms bigint NOT NULL, created_ms bigint NOT NULL
);
CREATE INDEX webhook_outbox_by_key ON webhook_outbox (webhook, idempotency_key);
`,
  },
  {
    version: 3,
    name: 'leader lease',
    sql: `
CREATE TABLE leader_lease (
  name text PRIMARY KEY,
  holder text NOT NULL,
  replica text NOT NULL,
  address text,
  epoch bigint NOT NULL,
  acquired_at timestamptz NOT NULL,
  renewed_at timestamptz NOT NULL,
  duration_ms integer NOT NULL
);
CREATE TABLE cluster_replicas (
  replica text PRIMARY KEY, holder text NOT NULL, address text, seen_at timestamptz NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'log records, partitioned by day; chunk and delivery dedup',
    sql: `
CREATE TABLE log_records (
  time_ms bigint NOT NULL,
  sub_ms_nanos integer NOT NULL,
  node text NOT NULL,
  task text NOT NULL,
  level text NOT NULL,
  trace_id text,
  body text NOT NULL
) PARTITION BY RANGE (time_ms);
CREATE INDEX log_records_by_trace ON log_records (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX log_records_by_stream ON log_records (node, task, time_ms);
CREATE INDEX log_records_by_time ON log_records (time_ms);
CREATE TABLE log_chunks (chunk_id text PRIMARY KEY, received_ms bigint NOT NULL);
CREATE INDEX log_chunks_by_received ON log_chunks (received_ms);
CREATE TABLE log_deliveries (sid text NOT NULL, lo bigint NOT NULL, hi bigint NOT NULL, stored_ms bigint NOT NULL);
CREATE INDEX log_deliveries_by_stored ON log_deliveries (stored_ms);
`,
  },
  {
    version: 5,
    name: 'state: the edge rule set versions',
    sql: `
CREATE TABLE edge_rule_sets (version bigint PRIMARY KEY, digest text NOT NULL, issued_ms bigint NOT NULL);
`,
  },
  {
    version: 6,
    name: 'logs: trace lookup by (trace_id, time), so the planner never walks the time index to find one trace',
    sql: `
CREATE INDEX log_records_by_trace_time ON log_records (trace_id, time_ms, sub_ms_nanos) WHERE trace_id IS NOT NULL;
DROP INDEX log_records_by_trace;
`,
  },
];

/** What {@link migrate} did. */
export interface MigrationResult {
  applied: Migration[];
  /** The schema version after the run. */
  version: number;
}

/**
 * Applies the steps not yet recorded, all in one transaction, under an advisory lock so replicas
 * starting together apply each step once. Creates the schema first when one is named.
 */
export function migrate(pg: SyncPg, schema: string | undefined, steps: readonly Migration[] = MIGRATIONS): MigrationResult {
  const applied: Migration[] = [];
  pg.transaction(() => {
    // one key for every edgewatch schema in the database: steps are quick, so waiting on others is fine
    pg.query('SELECT pg_advisory_xact_lock(7364021)');
    if (schema) pg.script(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}; SET search_path TO ${quoteIdent(schema)}`);
    pg.script('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set(pg.query<{ version: number }>('SELECT version FROM schema_migrations').rows.map((r) => r.version));
    for (const step of steps) {
      if (done.has(step.version)) continue;
      pg.script(step.sql);
      pg.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [step.version, step.name]);
      applied.push(step);
    }
  });
  const version = pg.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations').rows[0]?.v ?? 0;
  return { applied, version };
}

/** A PostgreSQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
