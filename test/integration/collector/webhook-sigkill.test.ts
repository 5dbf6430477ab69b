import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { NodeHttpPost } from '../../../collector/notify/node-http-post.js';
import { SqliteWebhookOutbox } from '../../../collector/notify/sqlite-outbox.js';
import { WebhookNotifier } from '../../../collector/notify/webhook-notifier.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { webhook } from '../../support/notify-harness.js';
import { repoRoot, tempDir } from '../../support/paths.js';
import { eventually } from '../../support/wait.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';

// A process that queues a delivery, gets SIGKILLed while the request is in flight, and the next process on
// the same outbox file delivers it: the same bytes under the same Idempotency-Key.
const CHILD = `
const [outboxPath, url] = process.argv.slice(1);
const base = ${JSON.stringify(new URL('../../../', import.meta.url).href)};
const { Registry } = await import('prom-client');
const { WebhookNotifier } = await import(base + 'collector/notify/webhook-notifier.js');
const { SqliteWebhookOutbox } = await import(base + 'collector/notify/sqlite-outbox.js');
const { NodeHttpPost } = await import(base + 'collector/notify/node-http-post.js');
const { webhookConfigSchema } = await import(base + 'collector/notify/notify-config.js');
const { systemClock } = await import(base + 'common/clock.js');
const { silentLogger } = await import(base + 'common/logger.js');
const notifier = new WebhookNotifier(
  { webhooks: [webhookConfigSchema.parse({ url, timeoutSeconds: 60 })], externalURL: 'http://collector.test:8080' },
  { clock: systemClock, timers: systemClock, http: new NodeHttpPost(), outbox: new SqliteWebhookOutbox(outboxPath), registry: new Registry(), logger: silentLogger },
);
notifier.start();
notifier.notify([{ incidentId: 'inc-9', status: 'firing', labels: { alertname: 'EdgewatchTaskDown', node: 'edge-3', task: 'api' }, startsAt: Date.now() }]);
process.stdout.write('queued\\n');
setInterval(() => {}, 1000);
`;

describe('webhook outbox across a SIGKILL', () => {
  let tmp: ReturnType<typeof tempDir>;
  let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
  before(async () => {
    tmp = tempDir('edgewatch-webhook-kill-');
    rx = await startWebhookReceiver((n) => (n === 0 ? 'hang' : 200));
  });
  after(async () => {
    await rx.close();
    tmp.cleanup();
  });

  it('a delivery in flight when the process is killed is delivered by the next process', async () => {
    const outboxPath = join(tmp.dir, 'outbox.db');
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, outboxPath, `${rx.url}/hook`], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    await eventually(`the child's request reached the receiver (child output: ${output})`, () => rx.requests.length === 1 && output.includes('queued'));
    child.kill('SIGKILL');
    await exited;

    const outbox = new SqliteWebhookOutbox(outboxPath);
    const notifier = new WebhookNotifier(
      { webhooks: [webhook(`${rx.url}/hook`)], externalURL: 'http://collector.test:8080' },
      { clock: systemClock, timers: systemClock, http: new NodeHttpPost(), outbox, registry: new Registry(), logger: silentLogger },
    );
    try {
      notifier.start();
      assert.equal(notifier.pendingCount, 1, 'the killed process left its delivery in the outbox');
      await eventually('redelivered', () => rx.requests.length === 2 && notifier.pendingCount === 0);
      const [lost, again] = rx.requests;
      assert.equal(again!.headers['idempotency-key'], lost!.headers['idempotency-key']);
      assert.deepEqual(again!.raw, lost!.raw);
      assert.deepEqual(outbox.all(), []);
    } finally {
      await notifier.stop();
      outbox.close();
    }
  });
});
