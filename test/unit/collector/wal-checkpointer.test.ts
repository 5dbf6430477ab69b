import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { WalCheckpointer, type CheckpointResult } from '../../../collector/store/wal-checkpointer.js';
import { tempDir } from '../../support/paths.js';

describe('WalCheckpointer', () => {
  // the checkpointer never holds a process open; the test holds it while it waits for the thread
  let hold: NodeJS.Timeout;
  beforeEach(() => (hold = setInterval(() => {}, 1000)));
  afterEach(() => clearInterval(hold));

  it('copies the WAL into the database from its own thread while the writer keeps writing', async () => {
    const dir = tempDir();
    const path = join(dir.dir, 'c.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // only the worker checkpoints
    db.exec('CREATE TABLE t (v BLOB)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run(Buffer.alloc(8192, i));
    const results: CheckpointResult[] = [];
    const done = new Promise<CheckpointResult>((resolve) => {
      const c = new WalCheckpointer(path, 20, (err) => assert.fail(err), (r) => {
        results.push(r);
        if (r.log > 0 && r.checkpointed === r.log) {
          c.stop();
          resolve(r);
        }
      });
    });
    const full = await done;
    assert.ok(full.log >= 200, `the WAL held the 200 pages written (${full.log} frames)`);
    // what the worker copied is in the database file: a reader that ignores the WAL sees it
    db.close();
    const again = new Database(path, { readonly: true });
    assert.equal((again.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 200);
    again.close();
    dir.cleanup();
  });

  it('reports a store it cannot open instead of failing silently', async () => {
    const dir = tempDir();
    const err = await new Promise<Error>((resolve) => new WalCheckpointer(join(dir.dir, 'missing.db'), 20, resolve));
    assert.match(err.message, /cannot open .*missing\.db for checkpoints/);
    dir.cleanup();
  });
});
