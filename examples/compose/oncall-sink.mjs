// Stand-in for an on-call paging bridge in the docker-compose demo: accepts Alertmanager-format
// webhooks (version "4") from Alertmanager and from the collector, and prints one line per alert.
// Replace it with your real receiver (PagerDuty, Opsgenie, Slack...) in alerts/alertmanager.yml and
// in the collector's notify.webhooks.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 9095);

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(req.url === '/healthz' ? 200 : 405).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end('body is not JSON\n');
      return;
    }
    for (const a of Array.isArray(body.alerts) ? body.alerts : []) {
      const labels = a.labels ?? {};
      process.stdout.write(
        JSON.stringify({
          time: new Date().toISOString(),
          path: req.url,
          receiver: body.receiver,
          status: a.status,
          alertname: labels.alertname,
          severity: labels.severity,
          node: labels.node,
          task: labels.task,
          summary: a.annotations?.summary,
        }) + '\n',
      );
    }
    res.writeHead(200).end('ok\n');
  });
});

server.listen(port, '0.0.0.0', () => process.stdout.write(`on-call sink listening on :${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
