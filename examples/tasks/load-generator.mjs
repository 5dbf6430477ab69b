// Example task: calls an HTTP service at a steady rate with a fresh W3C traceparent per request and
// logs one JSON line per call with the same trace_id, so the collector can correlate both sides.
// It logs what it saw as upstream_status and upstream_duration_ms rather than status and duration_ms:
// the service's own lines already count those requests, so the caller does not double them.
//
// Environment:
//   TARGET   URL to call (default http://127.0.0.1:8081/api/orders)
//   RPS      requests per second (default 5)
//   TIMEOUT_MS  per-request timeout (default 2000)
import { randomBytes } from 'node:crypto';

const target = process.env.TARGET ?? 'http://127.0.0.1:8081/api/orders';
const rps = Math.max(0.1, Number(process.env.RPS ?? 5));
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 2000);
const path = new URL(target).pathname;

function log(fields) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...fields }) + '\n');
}

async function call() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const started = performance.now();
  try {
    const res = await fetch(target, { headers: { traceparent: `00-${traceId}-${spanId}-01` }, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    const upstream_duration_ms = Math.round((performance.now() - started) * 100) / 100;
    log({ level: res.status >= 500 ? 'warn' : 'info', msg: `GET ${path}`, upstream_status: res.status, upstream_duration_ms, trace_id: traceId, span_id: spanId });
  } catch (err) {
    const upstream_duration_ms = Math.round((performance.now() - started) * 100) / 100;
    log({ level: 'error', msg: `GET ${path} failed: ${err instanceof Error ? err.message : String(err)}`, upstream_duration_ms, trace_id: traceId, span_id: spanId });
  }
}

log({ level: 'info', msg: `calling ${target} at ${rps} requests/s` });
const timer = setInterval(() => void call(), 1000 / rps);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
