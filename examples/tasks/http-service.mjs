// Example task: a small HTTP service that logs one JSON line per request (status, duration_ms,
// trace_id, span_id), the format the edgewatch exporter parses by default.
//
// Environment:
//   PORT                 port to listen on (default 8081)
//   HOST                 address to listen on (default 127.0.0.1)
//   FAULT_EVERY_SECONDS  turn faulty once per this many seconds of wall-clock time (default 0: never)
//   FAULT_FOR_SECONDS    how long each faulty phase lasts (default 60), at the start of each period
//   FAULT_KIND           errors (answer 500) | slow (add 400-800 ms) (default errors)
// /healthz always answers 200, so a faulty phase shows up as errors or latency, not as a restart.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8081);
const host = process.env.HOST ?? '127.0.0.1';
const faultEvery = Number(process.env.FAULT_EVERY_SECONDS ?? 0);
const faultFor = Number(process.env.FAULT_FOR_SECONDS ?? 60);
const faultKind = process.env.FAULT_KIND ?? 'errors';

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

function log(fields) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...fields }) + '\n');
}

/** Whether this instant falls in the faulty phase: the first FAULT_FOR_SECONDS of every period. */
function faulty(nowMs) {
  return faultEvery > 0 && (nowMs / 1000) % faultEvery < faultFor;
}

const server = createServer((req, res) => {
  const started = performance.now();
  const parent = TRACEPARENT.exec(String(req.headers.traceparent ?? ''));
  const traceId = parent ? parent[1] : randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const path = (req.url ?? '/').split('?')[0];
  const health = path === '/healthz';
  const fault = !health && faulty(Date.now()) ? faultKind : undefined;
  const delayMs = health ? 0 : 5 + Math.random() * 25 + (fault === 'slow' ? 400 + Math.random() * 400 : 0);
  setTimeout(() => {
    const status = fault === 'errors' ? 500 : 200;
    res.writeHead(status, { 'content-type': 'application/json', traceparent: `00-${traceId}-${spanId}-01` });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { error: 'internal error' }) + '\n');
    if (health) return;
    log({
      level: status >= 500 ? 'error' : 'info',
      msg: `${req.method} ${path}`,
      method: req.method,
      path,
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      trace_id: traceId,
      span_id: spanId,
      ...(fault ? { fault } : {}),
    });
  }, delayMs);
});

server.listen(port, host, () => log({ level: 'info', msg: `listening on ${host}:${port}`, faultEverySeconds: faultEvery, faultForSeconds: faultFor, faultKind }));

process.on('SIGTERM', () => {
  log({ level: 'info', msg: 'SIGTERM: closing' });
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
});
