// Guards issue 12: a truncated or overwritten collector.db, state.db or notify-outbox.db stopped the
// collector with "database disk image is malformed", naming neither the file nor its key nor a way out,
// and a zero-byte collector.db started silently empty.
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, writeSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCli } from '../../support/cli.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

const FILES = ['collector.db', 'state.db', 'notify-outbox.db'] as const;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('damaged collector store files', { timeout: 150_000 }, () => {
  const tmp = tempDir('edgewatch-store-');
  const backup = join(tmp.dir, 'backup');
  const running: Array<ReturnType<typeof startCli>> = [];
  after(() => {
    for (const p of running) p.child.kill('SIGKILL');
    tmp.cleanup();
  });

  /** Writes a collector config with its store in `dir`, on free ports. */
  async function config(dir: string): Promise<{ file: string; http: number }> {
    const http = await freePort();
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, `http: {listen: "127.0.0.1:${http}"}\nforward: {listen: "127.0.0.1:0", heartbeat: false}\nmqtt: {embedded: {listen: "127.0.0.1:0"}}\nstore: {path: ${join(dir, 'data', 'collector.db')}}\n`);
    return { file, http };
  }

  /** Starts the collector and waits until it is ready, then stops it with SIGTERM. */
  async function runsAndStops(dir: string): Promise<void> {
    const { file, http } = await config(dir);
    const p = startCli(['collector', '--config', file]);
    running.push(p);
    let exited = false;
    void p.exited.then(() => (exited = true));
    await eventually('the collector to be ready', async () => {
      if (exited) throw new Error(`the collector exited:\n${p.output()}`);
      return (await fetch(`http://127.0.0.1:${http}/readyz`)).ok;
    }, { timeoutMs: 20_000 });
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0, p.output());
  }

  /** Runs the collector on a damaged file: it must exit 1 at once with one message. */
  async function refuses(dir: string): Promise<string> {
    const { file } = await config(dir);
    const p = startCli(['collector', '--config', file]);
    running.push(p);
    const exit = await p.exited;
    assert.equal(exit.code, 1, p.output());
    const out = p.output();
    assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    return out;
  }

  /** A fresh copy of the good data dir, with `damage` applied to one file. */
  function damaged(name: string, damage: (path: string) => void): { dir: string; path: string } {
    const dir = join(tmp.dir, name);
    mkdirSync(join(dir, 'data'), { recursive: true });
    for (const f of FILES) copyFileSync(join(backup, f), join(dir, 'data', f));
    const path = join(dir, 'data', name.split('+')[0]!);
    damage(path);
    return { dir, path };
  }

  before(async () => {
    // a store that was used: the collector created all three files and stopped cleanly
    const good = join(tmp.dir, 'good');
    mkdirSync(good);
    await runsAndStops(good);
    mkdirSync(backup);
    for (const f of FILES) {
      assert.ok(statSync(join(good, 'data', f)).size > 0, `${f} exists`);
      copyFileSync(join(good, 'data', f), join(backup, f));
    }
  });

  it('collector.db truncated: names the file, store.path and both ways out; restored from the backup, it starts', async () => {
    const { dir, path } = damaged('collector.db+half', (p) => truncateSync(p, Math.floor(statSync(p).size / 2)));
    const out = await refuses(dir);
    assert.match(out, new RegExp(`store\\.path: ${esc(path)}: the file is damaged \\(truncated: \\d+ bytes where its header records \\d+ pages`));
    assert.match(out, /Two ways out:\n {2}- restore \S+collector\.db from a backup/);
    assert.match(out, /- move it aside and start with an empty one, losing every stored log record and trace:\n {6}mv \S+collector\.db \S+collector\.db\.damaged; rm -f \S+collector\.db-wal \S+collector\.db-shm/);
    copyFileSync(join(backup, 'collector.db'), path);
    await runsAndStops(dir);
  });

  it('state.db overwritten past its header: quick_check finds it; moved aside as the message says, it starts empty', async () => {
    const { dir, path } = damaged('state.db+garbage', (p) => {
      const fd = openSync(p, 'r+');
      writeSync(fd, Buffer.alloc(statSync(p).size - 4096, 0x5a), 0, undefined, 4096);
      closeSync(fd);
    });
    const out = await refuses(dir);
    assert.match(out, new RegExp(`store\\.path \\(state\\.db beside it\\): ${esc(path)}: the file is damaged`));
    assert.match(out, /losing incidents, the command history and the nodes' fencing epochs/);
    execSync(/ {6}(mv .*)$/m.exec(out)![1]!, { shell: '/bin/sh' });
    assert.ok(existsSync(`${path}.damaged`));
    await runsAndStops(dir);
  });

  it('notify-outbox.db emptied to 0 bytes: refused, not taken for a new database', async () => {
    const { dir, path } = damaged('notify-outbox.db+empty', (p) => truncateSync(p, 0));
    const out = await refuses(dir);
    assert.match(out, new RegExp(`store\\.path \\(notify-outbox\\.db beside it\\): ${esc(path)}: the file is damaged \\(it is empty: 0 bytes where a database was\\)`));
    assert.match(out, /losing webhook deliveries not yet sent/);
    execSync(/ {6}(mv .*)$/m.exec(out)![1]!, { shell: '/bin/sh' });
    await runsAndStops(dir);
  });

  it('a zero-byte collector.db does not start silently empty', async () => {
    const { dir } = damaged('collector.db+empty', (p) => truncateSync(p, 0));
    assert.match(await refuses(dir), /store\.path: \S+collector\.db: the file is damaged \(it is empty/);
  });

  it('collector.db overwritten with something else: "not a SQLite database", with the ways out', async () => {
    const { dir } = damaged('collector.db+overwritten', (p) => writeFileSync(p, Buffer.alloc(64 * 1024, 0x41)));
    const out = await refuses(dir);
    assert.match(out, /store\.path: \S+collector\.db: the file is damaged \(not a SQLite database: its header is missing or overwritten\)/);
    assert.match(out, /Two ways out/);
  });
});
