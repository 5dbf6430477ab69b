// Benchmark task: prints $RATE JSON request lines per second (default 100) in bursts every 100 ms,
// with statuses mostly 200 (1% 500) and durations around 20 ms, each with a trace id.
const rate = Number(process.env.RATE ?? 100);
const perBurst = Math.max(1, Math.round(rate / 10));
const hex = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += ((Math.random() * 16) | 0).toString(16);
  return s;
};
let seq = 0;
setInterval(() => {
  let out = '';
  for (let i = 0; i < perBurst; i++) {
    const status = seq % 100 === 0 ? 500 : 200;
    out += JSON.stringify({ level: status >= 500 ? 'error' : 'info', msg: 'GET /api/items', seq: seq++, status, duration_ms: 10 + Math.random() * 20, trace_id: hex(32), span_id: hex(16) }) + '\n';
  }
  process.stdout.write(out);
}, 100);
