// Two collector processes sharing PostgreSQL and Mosquitto. SIGKILL the leader while a task is failing: the
// standby leads within the lease, carries the incident on (same id, no second restart, webhooks once per
// idempotency key) and no acked log record is lost. SIGSTOP the leader instead: the woken zombie steps
// down, signs nothing, and a command at its epoch is refused by the edge.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { commandEpoch, splitEpoch } from '../../../collector/cluster/fencing.js';
import { signCommand, type Ack } from '../../../protocol/commands.js';
import { AlertReceiver } from '../../support/alert-receiver.js';
import { commandKeys } from '../../support/command-keys.js';
import { startTestExporter } from '../../support/exporter-harness.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../../support/mosquitto.js';
import { addNode, forwardLogin } from '../../support/node-identity.js';
import { fixture, tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { requirePostgres, testSchema, type TestSchema } from '../../support/postgres.js';
import { parseExposition, sampleValue } from '../../support/prom-text.js';
import { eventually } from '../../support/wait.js';
import { replica, sharedConfig, type Replica, type Shared } from './ha-cluster.js';

const pgSkip = (await requirePostgres()).skip;
const mqttSkip = (await sharedMosquitto()).skip;
const skip = pgSkip || mqttSkip;
/** Lease duration of the replicas: the standby must lead within it (plus one renew period). */
const LEASE_SECONDS = 6;
const RENEW_SECONDS = 1;

interface IncidentView {
  id: string;
  rule: string;
  status: string;
  resolvedAt: string | null;
  actions: Array<{ type: string; result: string; commandId?: string }>;
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('collector replicas on PostgreSQL with a leader lease', { skip }, () => {
  const tmp = tempDir('edgewatch-ha-');
  const receiver = new AlertReceiver();
  const node = `edge-ha-${randomBytes(3).toString('hex')}`;
  let schema: TestSchema;
  let shared: Shared;
  let a: Replica;
  let b: Replica;
  let exporter: Awaited<ReturnType<typeof startTestExporter>> | undefined;
  let taskPort = 0;
  const keys = commandKeys(tmp.dir);

  before(async () => {
    schema = await testSchema();
    shared = {
      dir: tmp.dir,
      pgUrl: schema.url,
      schema: schema.schema,
      brokerUrl: SHARED_MOSQUITTO,
      clientIdPrefix: `ew-ha-${randomBytes(3).toString('hex')}`,
      privateKeyFile: keys.privateKeyFile,
      hookUrl: await receiver.start(),
      leaseSeconds: LEASE_SECONDS,
      renewSeconds: RENEW_SECONDS,
      verifySeconds: 10,
    };
    a = await replica(shared, 'a');
    b = await replica(shared, 'b');
    taskPort = await freePort();
  });
  after(async () => {
    await exporter?.stop();
    await a?.killed();
    await b?.killed();
    await receiver.stop();
    await schema?.drop();
    tmp.cleanup();
  });

  const exporterMetric = async (name: string, labels: Record<string, string>) => sampleValue(parseExposition(await exporter!.exporter.registry.metrics()), name, labels);

  it('the standby takes over within the lease after a SIGKILL, and the incident, the restart, the webhooks and the logs go on once', async () => {
    await a.start();
    await eventually('a to lead', async () => (await a.cluster()).role === 'leader');
    await b.start();
    const standby = await b.cluster();
    assert.equal(standby.role, 'standby');
    assert.equal(standby.leader?.replica, 'a', 'the standby names the leader');
    assert.equal(await refused(b.forwardPort), 'ECONNREFUSED', 'a standby takes no forward connections');
    const ready = await (await fetch(`${b.base}/readyz`)).text();
    assert.match(ready, /role: standby\nleader: a http:\/\/127\.0\.0\.1:\d+ \(epoch \d+\)/);
    assert.equal((await fetch(`${b.base}/readyz?role=leader`)).status, 503);
    assert.match(await (await fetch(`${b.base}/metrics`)).text(), /edgewatch_collector_leader\{replica="b"\} 0/);
    assert.match(await (await fetch(`${a.base}/metrics`)).text(), /edgewatch_collector_leader\{replica="a"\} 1/);

    const login = addNode(sharedConfig(a, shared), node);
    exporter = await startTestExporter(
      [
        `node: ${node}`,
        `forward: {address: "127.0.0.1:${a.forwardPort}", failover: ["127.0.0.1:${b.forwardPort}"], flushIntervalMs: 5, retryMaxSeconds: 1, ${forwardLogin(login)}}`,
        `mqtt: {url: "${SHARED_MOSQUITTO}", heartbeatSeconds: 1}`,
        `commands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}, allow: [restart, stop, start, rollback, snapshot]}`,
        'tasks:',
        `  - name: web\n    command: [node, ${fixture('http-server.js')}]\n    env: {PORT: ${taskPort}}\n    terminationGracePeriodSeconds: 2`,
      ].join('\n'),
    );
    const task = `http://127.0.0.1:${taskPort}`;
    await eventually('the task to serve', async () => (await fetch(`${task}/`)).ok);
    await eventually(`${node} online at both replicas`, async () => {
      for (const r of [a, b]) {
        const { body } = await r.api<{ nodes: Array<{ node: string; status: string }> }>('/api/nodes');
        if (body.nodes.find((n) => n.node === node)?.status !== 'online') return false;
      }
      return true;
    });
    const startsBefore = (await exporterMetric('edgewatch_task_starts_total', { task: 'web' }))!;

    // the task fails: six consecutive 5xx open an incident and the leader restarts it
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${task}/${i === 0 ? 'fail' : 'x'}`)).status, 500);
    const opened = await eventually('an incident with a restart at the leader', async () => {
      const { body } = await a.api<{ incidents: IncidentView[] }>('/api/incidents');
      const i = body.incidents.find((x) => x.rule === 'consecutive-5xx');
      return i && i.actions.some((x) => x.type === 'restart') && i;
    });
    await eventually('the restarted task to serve', async () => (await fetch(`${task}/`).catch(() => undefined))?.status === 200);
    await receiver.waitFor((x) => x.status === 'firing' && x.alerts.some((al) => al.labels.alertname === 'consecutive-5xx'));

    // log traffic across the failover: every answered request wrote a line the exporter must get stored
    const answered: number[] = [];
    let sending = true;
    const traffic = (async () => {
      for (let n = 0; sending; n++) {
        const res = await fetch(`${task}/n/${n}`).catch(() => undefined);
        if (res?.status === 200) answered.push(n);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));

    const { body: before } = await a.api<IncidentView>(`/api/incidents/${opened.id}`);
    assert.equal(before.status, 'remediating', 'the leader dies while it is still verifying the restart');
    const killedAt = Date.now();
    a.signal('SIGKILL');
    await eventually('b to lead', async () => (await b.cluster()).role === 'leader', { timeoutMs: 20_000, intervalMs: 100 });
    const failoverMs = Date.now() - killedAt;
    process.stdout.write(`# failover after SIGKILL: ${failoverMs} ms (lease ${LEASE_SECONDS} s, renew ${RENEW_SECONDS} s)\n`);
    assert.ok(failoverMs <= (LEASE_SECONDS + RENEW_SECONDS) * 1000 + 1000, `the standby led ${failoverMs} ms after the SIGKILL`);
    assert.ok(failoverMs <= 15_000, 'within the 15 s target');
    const led = await b.cluster();
    assert.ok(led.epoch! > standby.leader!.epoch, 'the new leader has a higher epoch');
    await new Promise((r) => setTimeout(r, 1500));
    sending = false;
    await traffic;

    // the incident goes on at b: same id, verified and resolved there, with the one restart a sent
    const resolved = await eventually('the incident resolved by the new leader', async () => {
      const { body } = await b.api<IncidentView>(`/api/incidents/${opened.id}`);
      return body.status === 'resolved' && body;
    }, { timeoutMs: 30_000 });
    assert.deepEqual(resolved.actions.map((x) => x.type), ['restart']);
    assert.ok(Date.parse(resolved.resolvedAt!) > killedAt, 'resolved by the new leader, after the old one died');
    const { body: all } = await b.api<{ incidents: IncidentView[] }>('/api/incidents');
    assert.deepEqual(all.incidents.filter((i) => i.rule === 'consecutive-5xx').map((i) => i.id), [opened.id], 'not reopened, not duplicated');
    assert.equal(await exporterMetric('edgewatch_task_starts_total', { task: 'web' }), startsBefore + 1, 'restarted exactly once');

    // webhooks: one firing and one resolved notification (a resend would carry the same idempotency key)
    await receiver.waitFor((x) => x.status === 'resolved' && x.alerts.some((al) => al.labels.alertname === 'consecutive-5xx'));
    const keysOf = (status: string) => new Set(receiver.bodies.flatMap((body, n) => (body.status === status && body.alerts.some((al) => al.labels.alertname === 'consecutive-5xx') ? [receiver.keys[n]] : [])));
    assert.equal(keysOf('firing').size, 1, 'firing delivered once');
    assert.equal(keysOf('resolved').size, 1, 'resolved delivered once');

    // every answered request's log line is stored, once
    assert.ok(answered.length > 20, `traffic across the failover (${answered.length} requests)`);
    const stored = await eventually('every answered request stored', async () => {
      const rows = await schema.query<{ body: string }>("SELECT body FROM log_records WHERE node = $1 AND task = 'web'", [node]);
      const msgs = rows.map((r) => (JSON.parse(r.body) as { msg: string }).msg);
      return answered.every((n) => msgs.includes(`GET /n/${n}`)) && msgs;
    }, { timeoutMs: 20_000 });
    for (const n of answered) assert.equal(stored.filter((m) => m === `GET /n/${n}`).length, 1, `GET /n/${n} stored once`);
  });

  it('a SIGSTOPped leader wakes up deposed: it steps down, signs nothing, and its epoch is refused by the edge', async () => {
    assert.ok(exporter, 'runs after the failover test');
    await a.start();
    await eventually('a back as a standby', async () => (await a.cluster()).role === 'standby');
    const before = await b.cluster();
    assert.equal(before.role, 'leader');
    const zombieEpoch = before.epoch!;

    const stoppedAt = Date.now();
    b.signal('SIGSTOP');
    await eventually('a to lead', async () => (await a.cluster()).role === 'leader', { timeoutMs: 20_000, intervalMs: 100 });
    process.stdout.write(`# failover after SIGSTOP: ${Date.now() - stoppedAt} ms\n`);
    assert.equal((await a.cluster()).epoch, zombieEpoch + 1);
    // the new leader's command raises the edge's epoch
    const sent = await a.api<{ id: string; status: string; epoch: number }>('/api/commands', { method: 'POST', body: { node, task: 'web', type: 'snapshot' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.status, 'done');
    assert.equal(splitEpoch(sent.body.epoch).leader, zombieEpoch + 1);

    b.signal('SIGCONT');
    await eventually('the woken leader to step down and name the new one', async () => {
      const v = await b.cluster();
      return v.role === 'standby' && v.leader?.replica === 'a';
    }, { timeoutMs: 10_000, intervalMs: 50 });
    const refusedCmd = await b.api<{ error: string; message: string }>('/api/commands', { method: 'POST', body: { node, task: 'web', type: 'restart' } });
    assert.equal(refusedCmd.status, 503);
    assert.equal(refusedCmd.body.error, 'not_leader');
    assert.match(refusedCmd.body.message, /the leader is a/);

    // nothing signed at the old epoch after the pause
    const late = await schema.query<{ id: string }>('SELECT id FROM commands WHERE issued_ms >= $1 AND (body::json->>\'epoch\')::bigint / 1048576 = $2', [stoppedAt, zombieEpoch]);
    assert.deepEqual(late, [], 'the deposed leader signed no command after waking');

    // a command signed at the zombie's epoch (what it would have sent had it not checked its lease) is refused
    const client = await mqtt.connectAsync(SHARED_MOSQUITTO, { clientId: `ew-ha-test-${randomBytes(3).toString('hex')}` });
    try {
      const acks: Ack[] = [];
      client.on('message', (_t, payload) => acks.push(JSON.parse(payload.toString()) as Ack));
      await client.subscribeAsync(`edgewatch/${node}/acks`, { qos: 1 });
      const now = Date.now();
      const id = `zombie-${randomBytes(4).toString('hex')}`;
      const cmd = signCommand(
        { id, type: 'restart', task: 'web', node, issuedAt: now, expiresAt: now + 60_000, epoch: commandEpoch(zombieEpoch, splitEpoch(sent.body.epoch).node), traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` },
        keys.signing,
      );
      await client.publishAsync(`edgewatch/${node}/commands`, JSON.stringify(cmd), { qos: 1 });
      const ack = await eventually('the edge to answer the stale command', () => acks.find((x) => x.id === id));
      assert.equal(ack.status, 'rejected');
      assert.match(ack.reason ?? '', /^stale_epoch: epoch \d+ is older than \d+/);
    } finally {
      await client.endAsync();
    }
  });
});
