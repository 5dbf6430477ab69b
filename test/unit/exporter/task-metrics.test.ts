import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { TaskMetrics } from '../../../exporter/metrics/task-metrics.js';
import { parseExposition } from '../../support/prom-text.js';

async function scrape(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of parseExposition(await registry.metrics())) out.set(`${s.name}${JSON.stringify(s.labels)}`, s.value);
  return out;
}

const key = (name: string, labels: Record<string, string>) => `${name}${JSON.stringify(labels)}`;

describe('task metrics from log lines', () => {
  it('every line, request and parse error counted since the last scrape shows in the next one, and counts go on', async () => {
    const registry = new Registry();
    const metrics = new TaskMetrics(registry, 'edge-1', { maxAgeSeconds: 60, ageBuckets: 5, now: () => 0 });
    const web = metrics.series('web');
    for (let i = 0; i < 7; i++) web.lineStdout();
    web.lineStderr();
    web.parseError();
    web.request(200, 12);
    web.request(503, 40);
    web.request(502, undefined);
    let s = await scrape(registry);
    const l = { node: 'edge-1', task: 'web' };
    assert.equal(s.get(key('edgewatch_task_log_lines_total', { ...l, stream: 'stdout' })), 7);
    assert.equal(s.get(key('edgewatch_task_log_lines_total', { ...l, stream: 'stderr' })), 1);
    assert.equal(s.get(key('edgewatch_task_log_parse_errors_total', l)), 1);
    assert.equal(s.get(key('edgewatch_task_requests_total', { ...l, code_class: '2xx' })), 1);
    assert.equal(s.get(key('edgewatch_task_requests_total', { ...l, code_class: '5xx' })), 2);
    assert.equal(s.get(key('edgewatch_task_requests_total', { ...l, code_class: '4xx' })), 0, 'every class starts at 0');

    web.lineStdout();
    web.request(404, 1);
    s = await scrape(registry);
    assert.equal(s.get(key('edgewatch_task_log_lines_total', { ...l, stream: 'stdout' })), 8, 'counted once, not again at each scrape');
    assert.equal(s.get(key('edgewatch_task_requests_total', { ...l, code_class: '4xx' })), 1);
    assert.equal(s.get(key('edgewatch_task_requests_total', { ...l, code_class: '5xx' })), 2);
  });

  it('a task no longer configured leaves no series, and its uncounted lines do not bring them back', async () => {
    const registry = new Registry();
    const metrics = new TaskMetrics(registry, 'edge-1', { maxAgeSeconds: 60, ageBuckets: 5, now: () => 0 });
    const old = metrics.series('old');
    old.lineStdout();
    metrics.unregister('old');
    const s = await scrape(registry);
    assert.ok(![...s.keys()].some((k) => k.includes('"task":"old"')), [...s.keys()].filter((k) => k.includes('old')).join('\n'));
  });
});
