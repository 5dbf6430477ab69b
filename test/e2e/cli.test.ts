import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startCli } from '../support/cli.js';
import { fixture, repoRoot, tempDir } from '../support/paths.js';
import { freePort } from '../support/ports.js';
import { sampleValue, scrape } from '../support/prom-text.js';
import { eventually } from '../support/wait.js';

describe('edgewatch CLI', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('--help lists every command, and each command has its own --help', () => {
    const top = runCli(['--help']);
    assert.equal(top.code, 0);
    for (const cmd of ['exporter', 'keys']) {
      assert.match(top.stdout, new RegExp(`^  ${cmd} `, 'm'));
      const sub = runCli([cmd, '--help']);
      assert.equal(sub.code, 0, `${cmd} --help`);
      assert.match(sub.stdout, /Usage: edgewatch/);
      assert.match(sub.stdout, /Example/);
    }
  });

  it('rejects an unknown command and missing options with exit 2 and a pointer to --help', () => {
    const unknown = runCli(['exprter']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "exprter"/);
    const missing = runCli(['exporter']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--config FILE is required\nRun 'edgewatch exporter --help'/);
  });

  it('a bad config exits 2 naming the key path and the fix, without a stack trace', () => {
    const cfg = join(tmp.dir, 'bad.yaml');
    writeFileSync(cfg, 'tasks:\n  - name: a\n    command: [x]\n  - name: b\n    command: [y]\n    livenessProbe:\n      tcpSocket: {port: 80}\n      periodSeconds: 0\n');
    const r = runCli(['exporter', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tasks\[1\]\.livenessProbe\.periodSeconds: must be >= 1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const missingFile = runCli(['exporter', '--config', join(tmp.dir, 'nope.yaml')]);
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.stderr, /nope\.yaml: invalid configuration\n\s+cannot read the file: ENOENT/);
  });

  it('--check validates the example configs', () => {
    const r = runCli(['exporter', '--config', join(repoRoot, 'examples/exporter.yaml'), '--check']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(node /);
  });

  it('--check validates a pinned edge rule file (rules.file)', () => {
    writeFileSync(join(tmp.dir, 'edge-rules.yml'), 'rules:\n  - {name: streak, kind: consecutive, match: {status: ">=500"}, count: 0, scope: edge}\n');
    const cfg = join(tmp.dir, 'pinned.yaml');
    writeFileSync(cfg, `node: e2e\nstate: {dir: ${tmp.dir}/state}\nrules: {file: edge-rules.yml}\n`);
    const r = runCli(['exporter', '--config', cfg, '--check']);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /rules\.file: .*edge-rules\.yml: rules\[0\] \(streak\)\.count: /);
    writeFileSync(cfg, `node: e2e\nstate: {dir: ${tmp.dir}/state}\nrules: {file: ${join(repoRoot, 'examples', 'edge-rules.yml')}}\n`);
    assert.equal(runCli(['exporter', '--config', cfg, '--check']).code, 0);
  });

  it('runs the exporter, serves /metrics, and stops its tasks on SIGTERM (no orphans)', async () => {
    const port = await freePort();
    const pidFile = join(tmp.dir, 'task.pid');
    const cfg = join(tmp.dir, 'run.yaml');
    writeFileSync(
      cfg,
      `node: e2e\nhttp:\n  listen: "127.0.0.1:${port}"\nstate:\n  dir: ${tmp.dir}/state\ntasks:\n  - name: stubborn\n    command: [sh, -c, 'echo $$ > ${pidFile}; exec node ${fixture('ignore-sigterm.js')}']\n    terminationGracePeriodSeconds: 1\n`,
    );
    const proc = startCli(['exporter', '--config', cfg]);
    try {
      const { samples } = await eventually('the task to be up', async () => {
        const s = await scrape(`http://127.0.0.1:${port}/metrics`);
        return sampleValue(s.samples, 'edgewatch_task_up', { node: 'e2e', task: 'stubborn' }) === 1 && s;
      });
      assert.equal(sampleValue(samples, 'edgewatch_exporter_tasks', { node: 'e2e' }), 1);
      const taskPid = Number(await eventually('the pid file', () => readFileSync(pidFile, 'utf8').trim() || undefined));
      await eventually('the task to handle SIGTERM', () => proc.output().includes('task started'));
      proc.child.kill('SIGTERM');
      const exit = await proc.exited;
      assert.equal(exit.code, 0, proc.output());
      assert.throws(() => process.kill(taskPid, 0), /ESRCH/, 'the task process is gone');
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('keys generate writes an Ed25519 key pair, the private key readable only by its owner', () => {
    const out = join(tmp.dir, 'keys');
    const r = runCli(['keys', 'generate', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(out, 'command.key'), 'utf8'), /BEGIN PRIVATE KEY/);
    assert.match(readFileSync(join(out, 'command.pub'), 'utf8'), /BEGIN PUBLIC KEY/);
    assert.equal(statSync(join(out, 'command.key')).mode & 0o777, 0o600);
    const again = runCli(['keys', 'generate', '--out', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /pass --force to overwrite/);
  });
});
