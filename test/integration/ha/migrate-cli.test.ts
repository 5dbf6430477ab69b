// `edgewatch collector migrate --config FILE` applies the PostgreSQL schema once and says so.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../support/cli.js';
import { tempDir } from '../../support/paths.js';
import { requirePostgres, testSchema, type TestSchema } from '../../support/postgres.js';

const { skip } = await requirePostgres();

describe('edgewatch collector migrate', { skip }, () => {
  const tmp = tempDir('edgewatch-migrate-');
  let s: TestSchema;
  let config: string;
  before(async () => {
    s = await testSchema();
    config = join(tmp.dir, 'collector.yaml');
    writeFileSync(config, `store: {url: "${s.url}", schema: ${s.schema}}\n`);
  });
  after(async () => {
    await s?.drop();
    tmp.cleanup();
  });

  it('applies every step on the first run and nothing on the second', async () => {
    const first = runCli(['collector', 'migrate', '--config', config]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^applied 1: state/m);
    assert.match(first.stdout, /^schema at version \d+$/m);
    const second = runCli(['collector', 'migrate', '--config', config]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^schema at version \d+ \(nothing to apply\)$/m);
    const tables = await s.query<{ n: string }>("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('leader_lease', 'incidents', 'log_records')", [s.schema]);
    assert.equal(tables.length, 3);
  });

  it('says that migrations are for PostgreSQL when store.url is not set', () => {
    const sqlite = join(tmp.dir, 'sqlite.yaml');
    writeFileSync(sqlite, `store: {path: ${JSON.stringify(join(tmp.dir, 'c.db'))}}\n`);
    const r = runCli(['collector', 'migrate', '--config', sqlite]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /store\.url is not set/);
  });
});
