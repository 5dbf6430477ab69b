import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertStateSchema } from '../../../../collector/notify/alert-state.js';
import { notifyConfigSchema } from '../../../../collector/notify/notify-config.js';
import { retryDelayMs } from '../../../../collector/notify/retry-delay.js';
import { idempotencyKey, incidentUrl, webhookBody } from '../../../../collector/notify/webhook-body.js';
import { formatIssues } from '../../../../common/config.js';
import { alertFingerprint, alertWebhookSchema, labelSetString, rfc3339Time } from '../../../../protocol/alert-webhook.js';
import { firing, resolved } from '../../../support/notify-harness.js';

const T0 = Date.UTC(2026, 0, 1);
const state = (input: Parameters<typeof alertStateSchema.parse>[0]) => alertStateSchema.parse(input);

describe('Alertmanager v4 body', () => {
  it('computes the fingerprint Alertmanager gives a label set', () => {
    // Values read back from a real Alertmanager 0.25 (/api/v2/alerts) for the same labels.
    assert.equal(alertFingerprint({ alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api', severity: 'critical' }), 'ab094fae4a01f5f3');
    assert.equal(alertFingerprint({}), 'cbf29ce484222325', 'FNV-1a 64 offset basis for the empty set');
    assert.match(alertFingerprint({ alertname: 'x', value: 'çødé ✓' }), /^[0-9a-f]{16}$/);
  });

  it('formats times as Go marshals them: RFC 3339 without trailing zero fractions', () => {
    assert.equal(rfc3339Time(T0), '2026-01-01T00:00:00Z');
    assert.equal(rfc3339Time(T0 + 120), '2026-01-01T00:00:00.12Z');
    assert.equal(rfc3339Time(T0 + 5), '2026-01-01T00:00:00.005Z');
  });

  it('prints group keys like Alertmanager: sorted, quoted, comma and space separated', () => {
    assert.equal(labelSetString({ task: 'a"b', alertname: 'X' }), '{alertname="X", task="a\\"b"}');
    assert.equal(labelSetString({}), '{}');
  });

  it('builds a body the schema accepts, grouping by whichever of alertname/node/task the alert has', () => {
    const body = webhookBody(state({ ...firing(T0), labels: { alertname: 'EdgewatchFleetDegraded', severity: 'warning' } }), {
      receiver: 'edgewatch',
      externalURL: 'https://collector.example/',
    });
    assert.deepEqual(alertWebhookSchema.parse(JSON.parse(JSON.stringify(body))), body);
    assert.deepEqual(body.groupLabels, { alertname: 'EdgewatchFleetDegraded' });
    assert.equal(body.groupKey, '{}:{alertname="EdgewatchFleetDegraded"}');
    assert.equal(body.alerts[0]!.generatorURL, 'https://collector.example/incidents/inc-1');
  });

  it('keeps a given fingerprint and escapes incident ids in the generatorURL', () => {
    const body = webhookBody(state({ ...firing(T0), incidentId: 'a/b c', fingerprint: '0123456789abcdef' }), { receiver: 'r', externalURL: 'http://c:8080' });
    assert.equal(body.alerts[0]!.fingerprint, '0123456789abcdef');
    assert.equal(incidentUrl('http://c:8080//', 'a/b c'), 'http://c:8080/incidents/a%2Fb%20c');
    assert.equal(body.alerts[0]!.generatorURL, 'http://c:8080/incidents/a%2Fb%20c');
  });

  it('links the console: generatorURL is the incident page, trace_url the trace page of a trace_id annotation', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const body = webhookBody(state({ ...firing(T0), annotations: { summary: 's', trace_id: traceId } }), { receiver: 'r', externalURL: 'https://collector.example/' });
    assert.equal(body.alerts[0]!.generatorURL, 'https://collector.example/incidents/inc-1');
    assert.equal(body.alerts[0]!.annotations.trace_url, `https://collector.example/traces/${traceId}`);
    assert.equal(body.commonAnnotations.trace_url, `https://collector.example/traces/${traceId}`);
    const odd = webhookBody(state({ ...firing(T0), annotations: { trace_id: 'not-a-trace' } }), { receiver: 'r', externalURL: 'http://c' });
    assert.equal(odd.alerts[0]!.annotations.trace_url, undefined, 'only a W3C trace id becomes a link');
  });

  it('idempotency keys: same for the same state, different for status, episode and webhook', () => {
    const f = state(firing(T0));
    const key = idempotencyKey('http://a/hook', f);
    assert.equal(idempotencyKey('http://a/hook', state({ ...firing(T0), annotations: { summary: 'changed' } })), key, 'annotations do not change the state');
    assert.notEqual(idempotencyKey('http://a/hook', state(resolved(T0, T0 + 1000))), key);
    assert.notEqual(idempotencyKey('http://a/hook', state(firing(T0 + 1000))), key);
    assert.notEqual(idempotencyKey('http://b/hook', f), key);
  });

  it('the schema accepts bodies from older Alertmanagers and ignores fields it does not know', () => {
    const body = JSON.parse(JSON.stringify(webhookBody(state(firing(T0)), { receiver: 'r', externalURL: 'http://c' }))) as Record<string, unknown>;
    delete body.truncatedAlerts;
    body.futureField = { x: 1 };
    const parsed = alertWebhookSchema.parse(body);
    assert.equal(parsed.truncatedAlerts, 0);
    assert.equal('futureField' in parsed, false);
  });

  it('the schema names what is wrong', () => {
    const r = alertWebhookSchema.safeParse({ version: '3', alerts: [{ status: 'pending', fingerprint: 'XYZ' }] });
    assert.ok(!r.success);
    const issues = formatIssues(r.error).join('\n');
    assert.match(issues, /^version: must be one of "4"$/m);
    assert.match(issues, /^alerts\[0\]\.status: must be one of "firing" \| "resolved"/m);
    assert.match(issues, /^alerts\[0\]\.fingerprint: must be 16 lowercase hex digits/m);
    assert.match(issues, /^alerts\[0\]\.startsAt: is required/m);
  });
});

describe('alert states and the notify config fragment', () => {
  it('an alert state needs an alertname, and an endsAt once resolved', () => {
    const r = alertStateSchema.safeParse({ ...firing(T0), labels: { node: 'n' } });
    assert.ok(!r.success);
    assert.deepEqual(formatIssues(r.error), ['labels: must contain a non-empty alertname']);
    const r2 = alertStateSchema.safeParse({ ...firing(T0), status: 'resolved' });
    assert.ok(!r2.success);
    assert.deepEqual(formatIssues(r2.error), ['endsAt: is required when status is resolved']);
  });

  it('defaults every delivery option and refuses bad ones with the key and the fix', () => {
    const c = notifyConfigSchema.parse({ webhooks: [{ url: 'http://r:9095/hook' }] });
    assert.deepEqual(c.webhooks[0], {
      url: 'http://r:9095/hook',
      receiver: 'edgewatch',
      timeoutSeconds: 10,
      maxAttempts: 20,
      backoffInitialSeconds: 1,
      backoffMaxSeconds: 300,
    });
    assert.deepEqual(notifyConfigSchema.parse(undefined), { webhooks: [] });
    const bad = notifyConfigSchema.safeParse({
      webhooks: [{ url: 'http://r/hook', secret: 'short' }, { url: 'http://r/hook', backoffInitialSeconds: 10, backoffMaxSeconds: 5 }, { url: 'ftp://x' }],
    });
    assert.ok(!bad.success);
    assert.deepEqual(formatIssues(bad.error), [
      'webhooks[0].secret: must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)',
      'webhooks[1].backoffMaxSeconds: must be >= backoffInitialSeconds',
      'webhooks[2].url: must be an http:// or https:// URL, e.g. "http://alertmanager-receiver:9095/hook"',
      'webhooks[1].url: is listed twice; give each receiver one entry',
    ]);
    const dup = notifyConfigSchema.safeParse({ webhooks: [{ url: 'http://r/hook' }, { url: 'http://r/hook' }] });
    assert.ok(!dup.success);
    assert.deepEqual(formatIssues(dup.error), ['webhooks[1].url: is listed twice; give each receiver one entry']);
  });
});

describe('retry delay', () => {
  it('doubles from the initial delay, is capped, and jitters by at most 20 %', () => {
    const exact = () => 0.5;
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => retryDelayMs(n, 1000, 300_000, exact)), [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000]);
    assert.equal(retryDelayMs(3, 1000, 300_000, () => 0), 3200);
    assert.equal(retryDelayMs(3, 1000, 300_000, () => 0.999999), 4800);
    assert.equal(retryDelayMs(20, 1000, 300_000, () => 0.999999), 300_000, 'jitter never goes above the cap');
    assert.equal(retryDelayMs(2000, 1000, 300_000, exact), 300_000, 'no overflow to Infinity or NaN');
  });
});
