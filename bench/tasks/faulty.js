// Benchmark task for `npm run bench -- fault`: reports its start to $BENCH_URL/started, then on
// GET /fault prints six consecutive 5xx JSON lines and answers with the instant it printed the sixth.
const http = require('node:http');
const now = () => performance.timeOrigin + performance.now();
const started = now();
fetch(`${process.env.BENCH_URL}/started?t=${started}&pid=${process.pid}`).catch(() => {});
http
  .createServer((req, res) => {
    if (req.url === '/fault') {
      let out = '';
      for (let i = 0; i < 6; i++) out += JSON.stringify({ level: 'error', msg: 'GET /api', status: 503, duration_ms: 1 }) + '\n';
      process.stdout.write(out);
      res.end(String(now()));
      return;
    }
    res.end('ok');
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
