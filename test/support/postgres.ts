import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL tests use (trust auth on this machine); EDGEWATCH_TEST_PG_URL points elsewhere. */
export const TEST_PG_URL = process.env.EDGEWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers. Under CI=true an unreachable one is a test failure (never a silent skip);
 * elsewhere the test is skipped with a loud message.
 */
export async function requirePostgres(): Promise<{ skip: string | false }> {
  const c = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return { skip: false };
  } catch (err) {
    const message = `PostgreSQL is not reachable at ${TEST_PG_URL} (${err instanceof Error ? err.message : String(err)}): start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
    process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
    return { skip: message };
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A schema of its own for one test run (`ew_test_<random>`), so parallel tests never share tables. */
export interface TestSchema {
  url: string;
  schema: string;
  /** A client on the schema (search_path set), for what a test checks directly. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** Creates a fresh schema; `drop()` removes it and everything in it. */
export async function testSchema(): Promise<TestSchema> {
  const schema = `ew_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}`);
  return {
    url: TEST_PG_URL,
    schema,
    query: async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await client.query<R>(sql, params)).rows,
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
