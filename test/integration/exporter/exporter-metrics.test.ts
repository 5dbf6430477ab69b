import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../../support/components.js';
import { startTestExporter } from '../../support/exporter-harness.js';
import { fixture } from '../../support/paths.js';
import { sampleValue, scrape } from '../../support/prom-text.js';
import { eventually } from '../../support/wait.js';

describe('exporter /metrics with real tasks', () => {
  let exporter: Awaited<ReturnType<typeof startTestExporter>>;
  before(async () => {
    exporter = await startTestExporter(`node: edge-t
tasks:
  - name: api
    version: "2.1.0"
    command: [node, ${fixture('json-lines.js')}]
    env: {COUNT: 200, STATUSES: "200,500,503,404", DURATIONS: "5,10,20,400"}
  - name: garbage
    command: [node, ${fixture('garbage.js')}]
`);
  });
  after(() => exporter.stop());

  it('shows up, restarts, 5xx requests and the p99 duration of a task that logs JSON lines', async () => {
    const { samples } = await eventually('200 request lines counted', async () => {
      const s = await scrape(`${exporter.url}/metrics`);
      return sampleValue(s.samples, 'edgewatch_task_log_lines_total', { task: 'api', stream: 'stdout' }) === 200 && s;
    });
    const api = { node: 'edge-t', task: 'api' };
    assert.equal(sampleValue(samples, 'edgewatch_task_up', api), 1);
    assert.equal(sampleValue(samples, 'edgewatch_task_restarts_total', { ...api, reason: 'Error' }), 0);
    assert.equal(sampleValue(samples, 'edgewatch_task_requests_total', { ...api, code_class: '5xx' }), 100);
    assert.equal(sampleValue(samples, 'edgewatch_task_requests_total', { ...api, code_class: '2xx' }), 50);
    assert.equal(sampleValue(samples, 'edgewatch_task_requests_total', { ...api, code_class: '4xx' }), 50);
    const p99 = sampleValue(samples, 'edgewatch_task_request_duration_seconds', { ...api, quantile: '0.99' });
    assert.ok(p99 !== undefined && Math.abs(p99 - 0.4) < 0.01, `p99 ${p99}`);
    assert.equal(sampleValue(samples, 'edgewatch_task_request_duration_seconds_count', api), 200);
    assert.equal(sampleValue(samples, 'edgewatch_task_version_info', { ...api, version: '2.1.0' }), 1);
    assert.equal(sampleValue(samples, 'edgewatch_task_state', { ...api, state: 'running' }), 1);
    assert.equal(sampleValue(samples, 'edgewatch_task_state', { ...api, state: 'backoff' }), 0);
    assert.equal(sampleValue(samples, 'edgewatch_task_starts_total', api), 1);
    assert.ok(sampleValue(samples, 'process_resident_memory_bytes', { node: 'edge-t' })! > 0, 'Node process metrics are there');
  });

  it('counts garbage lines without failing and keeps labels bounded', async () => {
    const g = { node: 'edge-t', task: 'garbage' };
    const { samples, text } = await eventually('garbage lines counted', async () => {
      const s = await scrape(`${exporter.url}/metrics`);
      return sampleValue(s.samples, 'edgewatch_task_log_lines_total', { ...g, stream: 'stdout' }) === 10_006 && s;
    });
    assert.equal(sampleValue(samples, 'edgewatch_task_log_parse_errors_total', g), 6, '4 malformed lines, 1 truncated line counted twice');
    assert.equal(sampleValue(samples, 'edgewatch_task_requests_total', { ...g, code_class: '2xx' }), 1);
    assert.equal(sampleValue(samples, 'edgewatch_task_up', g), 1, 'the task keeps running');
    const series = text.split('\n').filter((l) => l.includes('task="garbage"')).length;
    assert.ok(series < 60, `10,000 distinct status strings made ${series} series`);
    assert.ok(!text.includes('weird-'));
  });

  it('passes promtool check metrics on a live scrape', async (t) => {
    const bin = requireBinary('promtool');
    if (bin.skip) return t.skip(bin.skip);
    const { text } = await scrape(`${exporter.url}/metrics`);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
  });

  it('serves /healthz, /readyz and a helpful 404', async () => {
    assert.equal((await fetch(`${exporter.url}/healthz`)).status, 200);
    const ready = await fetch(`${exporter.url}/readyz`);
    assert.equal(ready.status, 200);
    const nf = await fetch(`${exporter.url}/nope`);
    assert.equal(nf.status, 404);
    assert.match(await nf.text(), /\/metrics/);
  });
});
