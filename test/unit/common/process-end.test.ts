import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../common/clock.js';
import { Lifecycle } from '../../../common/lifecycle.js';
import { createLogger, silentLogger } from '../../../common/logger.js';
import { ProcessEnd, type ProcessPort } from '../../../common/process-end.js';
import { flushMicrotasks } from '../../support/remediation-harness.js';

/** A process that records what ProcessEnd asks of it, and lets the test send signals and errors. */
function fakeProcess() {
  const signals = new Map<string, () => void>();
  let fatal: ((err: unknown) => void) | undefined;
  const exits: number[] = [];
  const port: ProcessPort = {
    onSignal: (s, fn) => void signals.set(s, fn),
    onFatal: (fn) => void (fatal = fn),
    exit: (code) => void exits.push(code),
  };
  return { port, exits, signal: (s: string) => signals.get(s)!(), fatal: (e: unknown) => fatal!(e) };
}

describe('ProcessEnd', () => {
  it('a signal runs the stop once, then exits 0; a second signal exits at once with 130', async () => {
    const p = fakeProcess();
    const end = new ProcessEnd(silentLogger, new FakeClock(), p.port, 10_000);
    let stops = 0;
    let release!: () => void;
    end.stopWith(() => {
      stops++;
      return new Promise<void>((r) => (release = r));
    });
    p.signal('SIGTERM');
    p.signal('SIGINT');
    assert.deepEqual(p.exits, [130]);
    release();
    await flushMicrotasks();
    assert.equal(stops, 1);
    assert.deepEqual(p.exits, [130, 0]);
  });

  it('a fatal error is logged once with its stack, runs the same stop, and exits 1; later errors are only counted', async () => {
    const p = fakeProcess();
    const lines: string[] = [];
    const end = new ProcessEnd(createLogger({ write: (l) => lines.push(l) }), new FakeClock(), p.port, 10_000);
    let stopped = false;
    end.stopWith(async () => {
      p.fatal(new Error('while stopping'));
      stopped = true;
    });
    p.fatal(new Error('boom'));
    await flushMicrotasks();
    assert.ok(stopped);
    assert.deepEqual(p.exits, [1]);
    const fatal = lines.filter((l) => l.includes('fatal error'));
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, /"err":"boom","stack":"Error: boom/);
    assert.ok(lines.some((l) => l.includes('"msg":"more errors while stopping","errors":1')));
  });

  it('an end requested during start-up runs the stop once it is given', async () => {
    const p = fakeProcess();
    const end = new ProcessEnd(silentLogger, new FakeClock(), p.port, 10_000);
    p.signal('SIGHUP');
    assert.deepEqual(p.exits, []);
    let stopped = false;
    end.stopWith(async () => void (stopped = true));
    await flushMicrotasks();
    assert.ok(stopped);
    assert.deepEqual(p.exits, [0]);
  });

  it('a stop that hangs is cut short at the deadline', () => {
    const p = fakeProcess();
    const clock = new FakeClock();
    const end = new ProcessEnd(silentLogger, clock, p.port, 5000);
    end.stopWith(() => new Promise<void>(() => undefined));
    p.signal('SIGTERM');
    clock.advance(4999);
    assert.deepEqual(p.exits, []);
    clock.advance(1);
    assert.deepEqual(p.exits, [1]);
  });
});

describe('Lifecycle', () => {
  it('a start that fails stops what had started, in reverse, and rethrows', async () => {
    const log: string[] = [];
    const c = (name: string, fail = false) => ({
      name,
      start() {
        if (fail) throw new Error(`${name} cannot start`);
        log.push(`start ${name}`);
      },
      stop() {
        log.push(`stop ${name}`);
      },
    });
    const lifecycle = new Lifecycle(silentLogger);
    await assert.rejects(lifecycle.start([c('http'), c('supervisor'), c('control', true), c('never')]), /control cannot start/);
    assert.deepEqual(log, ['start http', 'start supervisor', 'stop supervisor', 'stop http']);
  });
});
