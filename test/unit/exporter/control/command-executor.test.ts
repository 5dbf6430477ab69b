import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../../../common/clock.js';
import { silentLogger } from '../../../../common/logger.js';
import { CommandExecutor, type CommandTarget } from '../../../../exporter/control/command-executor.js';
import { CommandJournal } from '../../../../exporter/control/command-journal.js';
import { COMMAND_TYPES, DEFAULT_ALLOWED_COMMANDS, signCommand, type Ack, type CommandType, type UnsignedCommand } from '../../../../protocol/commands.js';
import { commandKeys } from '../../../support/command-keys.js';
import { tempDir } from '../../../support/paths.js';
import { spec } from '../../../support/supervisor-harness.js';

/** A supervisor stand-in that records what it was asked to do. */
function target(): CommandTarget & { calls: string[] } {
  const calls: string[] = [];
  const specs = new Map([['web', spec({ name: 'web', version: 'v2' })]]);
  return {
    calls,
    has: (t) => specs.has(t),
    startTask: async (t) => void calls.push(`start ${t}`),
    stopTask: async (t) => void calls.push(`stop ${t}`),
    restartTask: async (t) => void calls.push(`restart ${t}`),
    apply: async (s) => {
      calls.push(`apply ${s.name}@${s.version}`);
      specs.set(s.name, s);
    },
    rollback: async (t, v) => {
      calls.push(`rollback ${t} ${v}`);
      return v ?? 'v1';
    },
    release: async (t) => void calls.push(`release ${t}`),
    currentSpec: (t) => specs.get(t),
    previousVersion: () => 'v1',
    snapshot: async () => void calls.push('snapshot'),
  };
}

describe('CommandExecutor', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  function setup(allow: readonly CommandType[] = COMMAND_TYPES, allowExecutables?: string[]) {
    const clock = new FakeClock();
    const keys = commandKeys(tmp.dir);
    const acks: Ack[] = [];
    const t = target();
    const journal = new CommandJournal(tmp.dir, { now: () => clock.now() });
    const exec = new CommandExecutor(
      { node: 'edge-1', keys: new Map([[keys.verify.keyId, keys.verify.publicKey]]), clockSkewMs: 60_000, baseDir: tmp.dir, allow: new Set(allow), ...(allowExecutables ? { allowExecutables } : {}) },
      journal,
      t,
      clock,
      { ack: (a) => acks.push(a), outcome() {} },
      silentLogger,
    );
    let n = 0;
    const cmd = (over: Partial<UnsignedCommand> = {}) =>
      signCommand({ id: `cmd-${String(++n).padStart(4, '0')}`, type: 'restart', node: 'edge-1', task: 'web', issuedAt: clock.now(), expiresAt: clock.now() + 60_000, epoch: 3, ...over }, keys.signing);
    const send = (c: unknown) => exec.receive(Buffer.from(JSON.stringify(c)));
    return { clock, keys, acks, t, exec, journal, cmd, send };
  }

  it('acks accepted then done, and runs the command once', async () => {
    const h = setup();
    const c = h.cmd();
    h.send(c);
    await h.exec.idle();
    assert.deepEqual(h.acks.map((a) => a.status), ['accepted', 'done']);
    assert.deepEqual(h.t.calls, ['restart web']);
    h.send(c); // the same command again (a republish or a replay)
    await h.exec.idle();
    assert.deepEqual(h.t.calls, ['restart web'], 'the same id never runs twice');
    assert.equal(h.acks.at(-1)!.status, 'rejected');
    assert.match(h.acks.at(-1)!.reason!, /^replayed/);
    assert.equal(h.acks.at(-1)!.original, 'done');
  });

  it('rejects forged, expired, wrong-node, stale-epoch and unknown-key commands with their reason, running nothing', async () => {
    const h = setup();
    h.send(h.cmd()); // epoch 3 becomes the fence
    await h.exec.idle();
    h.t.calls.length = 0;
    h.acks.length = 0;
    const forged = { ...h.cmd(), task: 'other' }; // changed after signing
    const other = commandKeys(tmp.dir, 'attacker');
    const wrongKey = signCommand({ id: 'cmd-evil-01', type: 'stop', node: 'edge-1', task: 'web', issuedAt: h.clock.now(), expiresAt: h.clock.now() + 60_000, epoch: 3 }, other.signing);
    const cases: Array<[unknown, string]> = [
      [forged, 'bad_signature'],
      [h.cmd({ expiresAt: h.clock.now() - 1 }), 'expired'],
      [h.cmd({ node: 'edge-2' }), 'wrong_node'],
      [h.cmd({ epoch: 2 }), 'stale_epoch'],
      [wrongKey, 'unknown_key'],
      [h.cmd({ issuedAt: h.clock.now() + 3_600_000, expiresAt: h.clock.now() + 7_200_000 }), 'not_yet_valid'],
      [{ id: 'cmd-bad-json', type: 'restart' }, 'malformed'],
    ];
    for (const [c] of cases) h.send(c);
    await h.exec.idle();
    assert.deepEqual(h.t.calls, []);
    assert.deepEqual(
      h.acks.map((a) => [a.status, a.reason!.split(':')[0]]),
      cases.map(([, reason]) => ['rejected', reason]),
    );
  });

  it('refuses what commands.allow does not list: by default an apply never runs, whoever signed it', async () => {
    const h = setup(DEFAULT_ALLOWED_COMMANDS);
    h.send(h.cmd({ type: 'apply', task: 'evil', spec: { name: 'evil', command: ['sh', '-c', 'id > /tmp/pwned'] } }));
    await h.exec.idle();
    assert.deepEqual(h.t.calls, [], 'nothing ran');
    assert.match(h.acks[0]!.reason!, /^not_allowed: apply is not in this node's commands\.allow \(restart, stop, start, rollback, release, snapshot\)/);
    h.send(h.cmd({ type: 'restart' }));
    await h.exec.idle();
    assert.deepEqual(h.t.calls, ['restart web']);
  });

  it('with commands.allowExecutables, an apply may run only the listed executables', async () => {
    const h = setup(COMMAND_TYPES, ['/usr/bin/node']);
    h.send(h.cmd({ type: 'apply', task: 'web', spec: { name: 'web', version: 'v3', command: ['/bin/sh', '-c', 'id'] } }));
    h.send(h.cmd({ type: 'apply', task: 'web', spec: { name: 'web', version: 'v3', command: ['/usr/bin/node', 'web.js'] } }));
    await h.exec.idle();
    assert.match(h.acks.find((a) => a.status === 'rejected')!.reason!, /^not_allowed: apply may run only \/usr\/bin\/node \(commands\.allowExecutables\), not "\/bin\/sh"/);
    assert.deepEqual(h.t.calls, ['apply web@v3']);
  });

  it('a command issued before the node\'s journal was created is refused: a reset state dir cannot be replayed into', async () => {
    const h = setup();
    const captured = h.cmd({ type: 'restart' });
    h.clock.advance(10_000);
    // the node's state dir is wiped; the exporter starts over with an empty journal
    rmSync(join(tmp.dir, 'commands.jsonl'), { force: true });
    rmSync(join(tmp.dir, 'journal-created'), { force: true });
    const fresh = new CommandJournal(tmp.dir, { now: () => h.clock.now() });
    const acks: Ack[] = [];
    const exec = new CommandExecutor({ node: 'edge-1', keys: new Map([[h.keys.verify.keyId, h.keys.verify.publicKey]]), clockSkewMs: 60_000, baseDir: tmp.dir, allow: new Set(COMMAND_TYPES) }, fresh, h.t, h.clock, { ack: (a) => acks.push(a), outcome() {} }, silentLogger);
    exec.receive(Buffer.from(JSON.stringify(captured)));
    await exec.idle();
    assert.deepEqual(h.t.calls, []);
    assert.equal(acks[0]!.status, 'rejected');
    assert.match(acks[0]!.reason!, /^before_journal: issued before this node's command journal was created/);
  });

  it('journals a command durably before returning, and a restart finishes what was accepted', async () => {
    const h = setup();
    const c = h.cmd({ type: 'rollback', version: undefined });
    h.t.rollback = () => new Promise(() => {}); // never finishes: the exporter "dies" mid-command
    h.send(c);
    const reopened = new CommandJournal(tmp.dir, { now: () => h.clock.now() });
    assert.equal(reopened.get(c.id)?.status, 'accepted', 'on disk before receive() returned');
    assert.equal(reopened.get(c.id)?.version, 'v1', 'rollback target resolved at acceptance');
    assert.equal(reopened.epoch, 3);
    const acks: Ack[] = [];
    const t2 = target();
    const exec2 = new CommandExecutor(
      { node: 'edge-1', keys: new Map([[h.keys.verify.keyId, h.keys.verify.publicKey]]), clockSkewMs: 60_000, baseDir: tmp.dir, allow: new Set(COMMAND_TYPES) },
      reopened,
      t2,
      h.clock,
      { ack: (a) => acks.push(a), outcome() {} },
      silentLogger,
    );
    exec2.resumeUnfinished();
    await exec2.idle();
    assert.deepEqual(t2.calls, ['rollback web v1']);
    assert.deepEqual(acks.map((a) => [a.status, a.version]), [['done', 'v1']]);
  });

  it('validates an apply spec and treats re-applying the running spec as done without a restart', async () => {
    const h = setup();
    h.send(h.cmd({ type: 'apply', task: 'web', spec: { name: 'web', version: 'v3', command: 'not-a-list' } }));
    h.send(h.cmd({ type: 'apply', task: 'web', spec: { name: 'web', version: 'v3', command: ['node', 'app.js'] } }));
    h.send(h.cmd({ type: 'apply', task: 'web', spec: { name: 'web', version: 'v3', command: ['node', 'app.js'] } }));
    await h.exec.idle();
    const finals = h.acks.filter((a) => a.status !== 'accepted');
    assert.equal(finals[0]!.status, 'rejected');
    assert.match(finals[0]!.reason!, /^invalid_spec: command: must be an array/);
    assert.deepEqual(finals.slice(1).map((a) => [a.status, a.reason]), [
      ['done', 'running version v3'],
      ['done', 'version v3 already running'],
    ]);
    assert.deepEqual(h.t.calls, ['apply web@v3']);
  });

  it('rejects a command for a task that is not on the node', async () => {
    const h = setup();
    h.send(h.cmd({ task: 'ghost' }));
    await h.exec.idle();
    assert.equal(h.acks.at(-1)!.status, 'rejected');
    assert.match(h.acks.at(-1)!.reason!, /^unknown_task/);
  });

  it('refuses a command it cannot journal (journal_unwritable) without running it, and takes commands again once the journal writes', async () => {
    // a real failure: the state dir's parent is a regular file, so every write fails with ENOTDIR
    writeFileSync(join(tmp.dir, 'blocked'), '');
    const keys = commandKeys(tmp.dir);
    const clock = new FakeClock();
    const acks: Ack[] = [];
    const problems: Array<string | undefined> = [];
    const t = target();
    const journal = new CommandJournal(join(tmp.dir, 'blocked', 'state'), { now: () => clock.now(), report: (p) => void problems.push(p?.reason) });
    const exec = new CommandExecutor(
      { node: 'edge-1', keys: new Map([[keys.verify.keyId, keys.verify.publicKey]]), clockSkewMs: 60_000, baseDir: tmp.dir, allow: new Set(COMMAND_TYPES) },
      journal,
      t,
      clock,
      { ack: (a) => acks.push(a), outcome() {} },
      silentLogger,
    );
    const cmd = (id: string) => signCommand({ id, type: 'restart', node: 'edge-1', task: 'web', issuedAt: clock.now(), expiresAt: clock.now() + 60_000, epoch: 1 }, keys.signing);
    exec.receive(Buffer.from(JSON.stringify(cmd('cmd-aaaa'))));
    await exec.idle();
    assert.deepEqual(t.calls, [], 'not run');
    assert.equal(acks.at(-1)!.status, 'rejected');
    assert.match(acks.at(-1)!.reason!, /^journal_unwritable: cannot write \S+commands\.jsonl \(ENOTDIR[^)]*\): make state\.dir writable; the command was not run/);
    assert.deepEqual(problems, ['ENOTDIR']);

    rmSync(join(tmp.dir, 'blocked'));
    journal.probe();
    assert.deepEqual(problems, ['ENOTDIR', undefined], 'recovered');
    exec.receive(Buffer.from(JSON.stringify(cmd('cmd-aaaa'))));
    await exec.idle();
    assert.deepEqual(t.calls, ['restart web'], 'the same command runs once the journal writes: it was never recorded as seen');
    assert.equal(acks.at(-1)!.status, 'done');
  });
});
