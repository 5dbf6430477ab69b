// Guards fluent-bit#10952 (records acked, then lost to a SIGKILL): an ack means the records are durable.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { emit, endSender, sender } from '../support/collector-harness.js';
import { repoRoot, tempDir } from '../support/paths.js';
import { nodeForwardLogin } from '../support/processes.js';
import { eventually } from '../support/wait.js';

// The build this test runs from: bin/edgewatch.js when it is dist/, else the same CLI from the
// parallel build folder (EDGEWATCH_DIST), so the child runs the code under test.
const distRoot = fileURLToPath(new URL('../../', import.meta.url));

function startCollectorProcess(configFile: string): { child: ChildProcess; output(): string } {
  const args =
    basename(distRoot) === 'dist'
      ? [join(repoRoot, 'bin', 'edgewatch.js'), 'collector', '--config', configFile]
      : [
          '--input-type=module',
          '-e',
          `const { main } = await import(${JSON.stringify(join(distRoot, 'cli', 'main.js'))}); process.exitCode = await main(process.argv.slice(1));`,
          'collector',
          '--config',
          configFile,
        ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.signalCode) : child.once('exit', (_c, s) => resolve(s))));
}

/** The port a component reported in its "<what> listening" log line, once it has. */
function listeningPort(output: string, what: 'http' | 'forward'): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(`"msg":"${what} listening"`)) continue;
    return Number((JSON.parse(line) as { address: string }).address.split(':').pop());
  }
  return undefined;
}

describe('edgewatch collector as a process', () => {
  const tmp = tempDir('edgewatch-sigkill-');
  let configFile: string;
  let running: ChildProcess | undefined;
  before(() => {
    configFile = join(tmp.dir, 'collector.yaml');
    // Port 0: each run gets ports from the OS and reports them in its log.
    writeFileSync(
      configFile,
      [
        'http: {listen: "127.0.0.1:0"}',
        'forward: {listen: "127.0.0.1:0", heartbeat: false}',
        'mqtt: {embedded: {listen: "127.0.0.1:0"}}',
        `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`,
      ].join('\n'),
    );
  });
  after(() => {
    running?.kill('SIGKILL');
    tmp.cleanup();
  });

  async function start() {
    const p = startCollectorProcess(configFile);
    running = p.child;
    const httpPort = await eventually('the collector to report its http port', () => listeningPort(p.output(), 'http'));
    const forwardPort = await eventually('the collector to report its forward port', () => listeningPort(p.output(), 'forward'));
    await eventually('/readyz', async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok);
    return { ...p, httpPort, forwardPort };
  }

  it('keeps every acked record across a SIGKILL and a restart', async () => {
    const first = await start();
    const traceId = randomBytes(16).toString('hex');
    nodeForwardLogin(configFile, 'edge-1', join(tmp.dir, 'secrets'));
    const secret = (f: string) => readFileSync(join(tmp.dir, 'secrets', f), 'utf8').trim();
    const s = sender('edgewatch.edge-1', first.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, security: { clientHostname: 'edge-1', sharedKey: secret('shared-key'), username: 'edge-1', password: secret('password') } });
    for (let i = 0; i < 20; i++) await emit(s, 'web', { msg: `acked ${i}`, trace_id: traceId, level: 'info' });
    endSender(s);
    // No SIGTERM, no flush: the process dies right after the last ack.
    first.child.kill('SIGKILL');
    assert.equal(await exited(first.child), 'SIGKILL');

    const second = await start();
    const res = await fetch(`http://127.0.0.1:${second.httpPort}/api/traces/${traceId}`);
    const body = (await res.json()) as { records: Array<{ msg: string }> };
    assert.deepEqual(body.records.map((r) => r.msg), Array.from({ length: 20 }, (_, i) => `acked ${i}`));

    // SIGTERM stops it cleanly (components in reverse order, exit code 0).
    second.child.kill('SIGTERM');
    assert.equal(await exited(second.child), null);
    assert.equal(second.child.exitCode, 0, second.output());
  });
});
