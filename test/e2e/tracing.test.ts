// OpenTelemetry, configured only by OTEL_* variables, exports one trace from the failing request through
// the rule firing and the command to the edge action, across the collector and exporter processes.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCli } from '../support/cli.js';
import { commandKeys } from '../support/command-keys.js';
import { sharedMosquitto } from '../support/mosquitto.js';
import { fixture, tempDir } from '../support/paths.js';
import { freePort } from '../support/ports.js';
import { nodeForwardLogin } from '../support/processes.js';
import { eventually } from '../support/wait.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: Array<{ traceId: string; spanId: string }>;
  service: string;
}

/** An OTLP/HTTP JSON receiver: POST /v1/traces bodies flattened to spans with their service name. */
async function otlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, server };
}

describe('OpenTelemetry tracing', () => {
  const tmp = tempDir();
  let skip: string | false = false;
  const procs: Array<ReturnType<typeof startCli>> = [];
  let otlp: Awaited<ReturnType<typeof otlpReceiver>> | undefined;
  let taskPort = 0;
  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    otlp = await otlpReceiver();
    const env = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const keys = commandKeys(tmp.dir);
    const [http, forward] = [await freePort(), await freePort()];
    const suffix = Math.random().toString(16).slice(2, 8);
    writeFileSync(
      join(tmp.dir, 'collector.yaml'),
      `http: {listen: "127.0.0.1:${http}"}\nforward: {listen: "127.0.0.1:${forward}", heartbeat: false}\nmqtt: {url: "mqtt://127.0.0.1:1883", clientId: "otel-collector-${suffix}"}\ncommands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}}\nremediation: {verifySeconds: 1}\nstore: {path: ${JSON.stringify(join(tmp.dir, 'c.db'))}}\n`,
    );
    procs.push(startCli(['collector', '--config', join(tmp.dir, 'collector.yaml')], { env }));
    await eventually('the collector', async () => (await fetch(`http://127.0.0.1:${http}/readyz`)).ok);
    taskPort = await freePort();
    const login = nodeForwardLogin(join(tmp.dir, 'collector.yaml'), `otel-${suffix}`, join(tmp.dir, 'secrets'));
    writeFileSync(
      join(tmp.dir, 'exporter.yaml'),
      `node: otel-${suffix}\nhttp: {listen: "127.0.0.1:${await freePort()}"}\nstate: {dir: ${tmp.dir}/state}\nspool: {dir: ${tmp.dir}/spool}\nforward: {address: "127.0.0.1:${forward}", ${login}}\nmqtt: {url: "mqtt://127.0.0.1:1883"}\ncommands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}}\ntasks:\n  - name: web\n    command: [node, ${fixture('http-server.js')}]\n    env: {PORT: ${taskPort}}\n`,
    );
    procs.push(startCli(['exporter', '--config', join(tmp.dir, 'exporter.yaml')], { env }));
    await eventually('the task to serve', async () => (await fetch(`http://127.0.0.1:${taskPort}/`)).ok);
    await eventually('the node online', async () => {
      const { nodes } = (await (await fetch(`http://127.0.0.1:${http}/api/nodes`)).json()) as { nodes: Array<{ node: string; status: string }> };
      return nodes.some((n) => n.node === `otel-${suffix}` && n.status === 'online');
    });
  });
  after(async () => {
    for (const p of procs) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    otlp?.server.close();
    tmp.cleanup();
  });

  it('links ingest, rule firing, command and edge action into the failing request trace', async (t) => {
    if (skip) return t.skip(skip);
    const traceId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    for (let i = 0; i < 6; i++) await fetch(`http://127.0.0.1:${taskPort}/fail`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const spans = await eventually('the remediation and edge action spans', () => {
      const s = otlp!.spans;
      return s.some((x) => x.name === 'edge.command restart') && s.some((x) => x.name === 'remediation.restart') && s;
    }, { timeoutMs: 30_000 });
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const fire = byName('rule.fire consecutive-5xx');
    const step = byName('remediation.restart');
    const edge = byName('edge.command restart');
    assert.deepEqual([fire.traceId, step.traceId, edge.traceId], [traceId, traceId, traceId]);
    assert.equal(step.parentSpanId, fire.spanId);
    assert.equal(edge.parentSpanId, step.spanId);
    assert.deepEqual([fire.service, step.service, edge.service], ['edgewatch-collector', 'edgewatch-collector', 'edgewatch-exporter']);
    const ingest = spans.find((s) => s.name === 'collector.ingest' && fire.links?.some((l) => l.spanId === s.spanId));
    assert.ok(ingest, 'the rule firing links to the ingest of the batch that made it fire');
  });
});
