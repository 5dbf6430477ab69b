// Guards issue 12: --check said "valid" when a key file or the rule file was missing or not a key, and the
// runtime error then named neither the key nor the file (ENOENT, "error:1E08010C:DECODER routines").
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, openSync, closeSync, writeSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StateDb } from '../../../collector/state/state-db.js';
import { runCli } from '../../support/cli.js';
import { commandKeys } from '../../support/command-keys.js';
import { Mounts, mountsAllowed } from '../../support/mounts.js';
import { tempDir } from '../../support/paths.js';

describe('--check opens every file a config names and reports each problem with its key', { timeout: 120_000 }, () => {
  const tmp = tempDir('edgewatch-check-');
  const mounts = new Mounts();
  const mountSkip = mountsAllowed().skip;
  let keys: ReturnType<typeof commandKeys>;
  before(() => {
    keys = commandKeys(tmp.dir);
  });
  after(() => {
    mounts.cleanup();
    tmp.cleanup();
  });

  function check(kind: 'exporter' | 'collector', name: string, yaml: string) {
    const file = join(tmp.dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    const r = runCli([kind, '--config', file, '--check']);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    return r;
  }

  it('exporter: a good config is valid', () => {
    const r = check('exporter', 'exp-good', `commands: {publicKeyFile: ${keys.publicKeyFile}}\nforward: {address: "127.0.0.1:24224"}\nspool: {dir: ${join(tmp.dir, 'spool')}, maxBytes: 1Mi}\nstate: {dir: ${join(tmp.dir, 'state')}}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid/);
  });

  it('exporter: a missing key file, a file that is not a key, and a state.dir that cannot exist, each on its own line', () => {
    writeFileSync(join(tmp.dir, 'blocker'), 'a file where a directory should be');
    writeFileSync(join(tmp.dir, 'not-a-key.pub'), 'hello\n');
    let r = check('exporter', 'exp-missing', `commands: {publicKeyFile: ${join(tmp.dir, 'nope.pub')}}\nstate: {dir: ${join(tmp.dir, 'blocker', 'state')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /commands\.publicKeyFile: \S+nope\.pub: no such file \(create one with `edgewatch keys generate --out \S+`\)/);
    assert.match(r.stderr, /state\.dir: \S+blocker is not a directory/);
    r = check('exporter', 'exp-not-a-key', `commands: {publicKeyFile: ${join(tmp.dir, 'not-a-key.pub')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /commands\.publicKeyFile: \S+not-a-key\.pub: not an Ed25519 public key in PEM form/);
    assert.doesNotMatch(r.stderr, /error:1E08010C/);
  });

  it('exporter: a read-only spool.dir, and a spool.maxBytes the disk cannot hold', { skip: mountSkip }, () => {
    const ro = join(tmp.dir, 'ro');
    mkdirSync(join(ro, 'spool'), { recursive: true });
    mounts.bindSelf(ro);
    mounts.bindReadOnly(ro, true);
    let r = check('exporter', 'exp-ro', `forward: {address: "127.0.0.1:24224"}\nspool: {dir: ${join(ro, 'spool')}}\nstate: {dir: ${join(tmp.dir, 'state')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /spool\.dir: cannot create files in \S+\/ro\/spool: EROFS/);
    const small = join(tmp.dir, 'small');
    mounts.tmpfs(small, '1m');
    r = check('exporter', 'exp-small', `forward: {address: "127.0.0.1:24224"}\nspool: {dir: ${join(small, 'spool')}, maxBytes: 64Mi}\nstate: {dir: ${join(tmp.dir, 'state')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /spool\.maxBytes: 64 MiB does not fit in \S+small\/spool: 1\.0 MiB there for the spool; lower spool\.maxBytes or free space/);
  });

  it('collector: a good config is valid', () => {
    const r = check('collector', 'col-good', `commands: {privateKeyFile: ${keys.privateKeyFile}}\nstore: {path: ${join(tmp.dir, 'good', 'collector.db')}}\n`);
    assert.equal(r.code, 0, r.stderr);
  });

  it('collector: a missing signing key, a public key where the private one goes, a missing and a broken rules file', () => {
    writeFileSync(join(tmp.dir, 'bad-rules.yml'), 'rules:\n  - name: x\n    kind: consecutive\n');
    let r = check('collector', 'col-missing', `commands: {privateKeyFile: ${join(tmp.dir, 'nope.key')}}\nrules: {file: ${join(tmp.dir, 'nope.yml')}}\nstore: {path: ${join(tmp.dir, 'c1', 'collector.db')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /commands\.privateKeyFile: \S+nope\.key: no such file/);
    assert.match(r.stderr, /rules\.file: \S+nope\.yml: cannot read the file: ENOENT/);
    r = check('collector', 'col-wrong', `commands: {privateKeyFile: ${keys.publicKeyFile}}\nrules: {file: ${join(tmp.dir, 'bad-rules.yml')}}\nstore: {path: ${join(tmp.dir, 'c2', 'collector.db')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /commands\.privateKeyFile: \S+command\.pub: not an Ed25519 private key in PEM form/);
    assert.match(r.stderr, /rules\.file: \S+bad-rules\.yml: rules\[0\] \(x\)\.\S+: /);
  });

  it('collector: a damaged state.db is reported with its ways out, and a read-only store dir with its key', { skip: mountSkip }, () => {
    // a real state.db (the collector's own schema), then a page of garbage in it
    const data = join(tmp.dir, 'damaged');
    mkdirSync(data);
    new StateDb(join(data, 'state.db')).close();
    const state = join(data, 'state.db');
    const fd = openSync(state, 'r+');
    writeSync(fd, Buffer.alloc(statSync(state).size - 4096, 0x5a), 0, undefined, 4096);
    closeSync(fd);
    let r = check('collector', 'col-damaged', `commands: {privateKeyFile: ${keys.privateKeyFile}}\nstore: {path: ${join(data, 'collector.db')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /store\.path \(state\.db beside it\): \S+state\.db: the file is damaged \(quick_check/);
    assert.match(r.stderr, /move it aside and start with an empty one, losing incidents/);

    const ro = join(tmp.dir, 'ro-store');
    mkdirSync(ro);
    copyFileSync(keys.privateKeyFile, join(tmp.dir, 'copy.key'));
    mounts.bindSelf(ro);
    mounts.bindReadOnly(ro, true);
    r = check('collector', 'col-ro', `commands: {privateKeyFile: ${join(tmp.dir, 'copy.key')}}\nstore: {path: ${join(ro, 'collector.db')}}\n`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /store\.path: cannot create files in \S+ro-store: EROFS/);
  });
});
