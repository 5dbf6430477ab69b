import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../../common/logger.js';
import { Guardrails, type GuardrailOptions } from '../../../../common/remediation/guardrails.js';
import type { RuleScope } from '../../../../common/rules/rule-schema.js';
import type { RuleTransition } from '../../../../common/rules/signals.js';
import { EdgeRemediator, type EdgePorts } from '../../../../exporter/edge/edge-remediator.js';
import { IncidentJournal } from '../../../../exporter/edge/incident-journal.js';
import { tempDir } from '../../../support/paths.js';

const GUARDS: GuardrailOptions = { dryRun: false, cooldownMs: 300_000, ratePerMinute: 6, burst: 3, breakerOpenShare: 0.5, breakerCloseShare: 0.25, breakerMinNodes: 3, flapMaxIncidents: 3, flapWindowMs: 3_600_000 };

function firing(rule: string, at: number, action: RuleTransition['action'] = 'restart'): RuleTransition {
  return { rule, key: `${rule}{node="n1",task="web"}`, status: 'firing', at, labels: { node: 'n1', task: 'web' }, annotations: {}, severity: 'critical', action, ladder: ['restart', 'rollback', 'migrate', 'page'], value: 6 };
}
const resolved = (rule: string, at: number): RuleTransition => ({ ...firing(rule, at), status: 'resolved' });

/** The remediator on a fake clock with fake ports: every act() resolves at once. */
function rig(options: { scope?: RuleScope; link?: boolean; guards?: Partial<GuardrailOptions>; cloud?: { id: string; type: string } } = {}) {
  const tmp = tempDir('edgewatch-edge-');
  let now = 1_000_000;
  const acted: string[] = [];
  const forgotten: string[] = [];
  let running = true;
  const ports: EdgePorts = {
    act: async (type, task) => {
      acted.push(`${type} ${task}`);
      return { version: type === 'rollback' ? 'v1' : 'v2' };
    },
    taskRunning: () => running,
    taskCount: () => 4,
    linkUp: () => options.link ?? false,
    cloudCommand: () => options.cloud,
    forgetRule: (rule, key) => void forgotten.push(`${rule} ${key}`),
    recentLogs: () => [{ ts: 1, level: 'error', msg: 'GET /', status: 500 }],
    newId: (() => {
      let n = 0;
      return () => `0000000${++n}-aaaa-bbbb-cccc-dddddddddddd`;
    })(),
    changed: () => undefined,
  };
  const journal = new IncidentJournal(`${tmp.dir}/state`);
  const metrics: string[] = [];
  const r = new EdgeRemediator(journal, new Guardrails({ ...GUARDS, ...options.guards }, now), ports, { node: 'n1', verifyMs: 2000, scopeOf: () => options.scope ?? 'both', now: () => now }, { action: (a, res) => void metrics.push(`${a} ${res}`) }, silentLogger);
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    r,
    journal,
    acted,
    forgotten,
    metrics,
    at: (t: number) => (now = t),
    get now() {
      return now;
    },
    setRunning: (v: boolean) => (running = v),
    settle,
    cleanup: tmp.cleanup,
  };
}

describe('edge remediation: the local ladder on a fake clock', () => {
  it('restarts at once when a rule scoped both fires with the link down, then verifies and resolves', async () => {
    const h = rig();
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    assert.deepEqual(h.acted, ['restart web']);
    const [i] = h.journal.all();
    assert.equal(i!.status, 'remediating');
    assert.equal(i!.offline, true);
    assert.equal(i!.logs.length, 1, 'the last lines are kept as evidence');
    assert.deepEqual(h.forgotten, ['consecutive-5xx consecutive-5xx{node="n1",task="web"}'], 'the rule must see fresh evidence');
    h.at(h.now + 1999);
    h.r.tick(h.now);
    assert.equal(h.journal.all()[0]!.status, 'remediating', 'still verifying');
    h.at(h.now + 1);
    h.r.tick(h.now);
    const done = h.journal.all()[0]!;
    assert.equal(done.status, 'resolved');
    assert.deepEqual(done.actions.map((a) => [a.type, a.result, a.verified]), [['restart', 'done', true]]);
    assert.ok(done.timeline.some((t) => t.what.startsWith('verified')));
    assert.deepEqual(h.metrics, ['restart done']);
    h.cleanup();
  });

  it('leaves a rule scoped both to the cloud while the link is up, and acts on an edge-first rule anyway', async () => {
    const both = rig({ link: true, scope: 'both' });
    both.r.onTransition(firing('consecutive-5xx', both.now), both.now);
    await both.settle();
    assert.deepEqual(both.acted, []);
    assert.equal(both.journal.all().length, 0);
    both.cleanup();
    const edge = rig({ link: true, scope: 'edge' });
    edge.r.onTransition(firing('consecutive-5xx', edge.now), edge.now);
    await edge.settle();
    assert.deepEqual(edge.acted, ['restart web']);
    assert.equal(edge.journal.all()[0]!.offline, false, 'acted with the link up: not late');
    edge.cleanup();
  });

  it('climbs to rollback when the rule fires again during verification, and escalates after (never migrates or pages)', async () => {
    const h = rig();
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    h.at(h.now + 500);
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    assert.deepEqual(h.acted, ['restart web', 'rollback web']);
    h.at(h.now + 500);
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    const i = h.journal.all()[0]!;
    assert.equal(i.status, 'escalated');
    assert.match(i.escalation!, /local ladder .* exhausted/);
    assert.deepEqual(i.actions.map((a) => [a.type, a.result, a.verified]), [['restart', 'done', false], ['rollback', 'done', false]]);
    assert.equal(i.actions[1]!.version, 'v1');
    assert.deepEqual(h.acted, ['restart web', 'rollback web'], 'nothing beyond the local ladder');
    h.r.onTransition(resolved('consecutive-5xx', h.now), h.now);
    assert.equal(h.journal.all()[0]!.status, 'resolved', 'an escalated incident ends when its rule clears');
    h.cleanup();
  });

  it('a task that is not running when the window ends fails verification', async () => {
    const h = rig();
    h.r.onTransition(firing('crash-loop', h.now, 'rollback'), h.now);
    await h.settle();
    assert.deepEqual(h.acted, ['rollback web'], 'the ladder starts at the rule\'s action');
    h.setRunning(false);
    h.at(h.now + 2000);
    h.r.tick(h.now);
    assert.equal(h.journal.all()[0]!.status, 'escalated');
    h.cleanup();
  });

  it('honours the shared guardrails: dry-run, cooldown, rate limit, flapping', async () => {
    const dry = rig({ guards: { dryRun: true } });
    dry.r.onTransition(firing('consecutive-5xx', dry.now), dry.now);
    await dry.settle();
    assert.deepEqual(dry.acted, []);
    assert.deepEqual(dry.journal.all()[0]!.actions.map((a) => a.result), ['dry_run']);
    dry.cleanup();

    const h = rig({ guards: { ratePerMinute: 1, burst: 1, flapMaxIncidents: 2 } });
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    h.at(h.now + 2000);
    h.r.tick(h.now); // verified, resolved
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    const second = h.journal.all()[1]!;
    assert.deepEqual(second.actions.map((a) => [a.type, a.result]), [['restart', 'cooldown'], ['rollback', 'rate_limited']], 'the same fix again so soon climbs; the bucket is empty');
    assert.ok(second.retryAt! > h.now);
    h.at(second.retryAt!);
    h.r.tick(h.now);
    await h.settle();
    assert.deepEqual(h.acted, ['restart web', 'rollback web'], 'retried once the bucket refilled');
    h.at(h.now + 2000);
    h.r.tick(h.now);
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    assert.equal(h.journal.all()[2]!.status, 'escalated', 'a third incident within the window is flapping');
    assert.match(h.journal.all()[2]!.escalation!, /flapping/);
    h.cleanup();
  });

  it('yields to a cloud command under way for the same task', async () => {
    const h = rig({ cloud: { id: 'c0ffee00-1111', type: 'restart' } });
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    await h.settle();
    assert.deepEqual(h.acted, []);
    const i = h.journal.all()[0]!;
    assert.deepEqual(i.actions.map((a) => [a.result, a.commandId]), [['fenced', 'c0ffee00-1111']]);
    assert.equal(i.status, 'escalated');
    h.cleanup();
  });

  it('journals every change durably: a restarted exporter reads it back and verifies the step afresh', async () => {
    const h = rig();
    h.r.onTransition(firing('consecutive-5xx', h.now), h.now);
    const dir = `${(h.journal as unknown as { path: string }).path}`.replace(/\/edge-incidents\.jsonl$/, '');
    const again = new IncidentJournal(dir);
    const i = again.all()[0]!;
    assert.equal(i.status, 'remediating');
    assert.equal(i.actions[0]!.result, 'pending', 'the restart was journaled before it ran');
    assert.ok(i.rev > 0 && i.shippedRev === -1);
    h.cleanup();
  });
});
