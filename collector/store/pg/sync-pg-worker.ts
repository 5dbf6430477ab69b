import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import { quoteIdent } from './migrations.js';

interface Request {
  id: number;
  text: string;
  params?: unknown[];
  /** Several statements in one simple-protocol round trip (DDL); no params. */
  script?: boolean;
}

const { url, schema, flag, port, applicationName } = workerData as { url: string; schema?: string; flag: Int32Array; port: MessagePort; applicationName: string };

// bigint counts and sums come back as numbers: every value the store keeps fits in 2^53
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

let client: pg.Client | undefined;

async function connection(): Promise<pg.Client> {
  if (client) return client;
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  // a connection lost between queries is replaced at the next one
  c.on('error', () => {
    if (client === c) client = undefined;
  });
  await c.connect();
  if (schema) await c.query(`SET search_path TO ${quoteIdent(schema)}`);
  client = c;
  return c;
}

/** Answers one request, then wakes the thread blocked in SyncPg.query. */
async function answer(req: Request): Promise<void> {
  let reply: unknown;
  try {
    const c = await connection();
    const r = req.script ? await c.query(req.text) : await c.query({ text: req.text, values: req.params ?? [] });
    const last = Array.isArray(r) ? r.at(-1) : r;
    reply = { id: req.id, rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
  } catch (err) {
    const e = err as { message?: string; code?: string };
    if (!e.code || /^(08|57P)/.test(e.code)) {
      // the connection is gone or unusable (network, shutdown): the next query opens a new one
      const c = client;
      client = undefined;
      void c?.end().catch(() => undefined);
    }
    reply = { id: req.id, error: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

let queue = Promise.resolve();
port.on('message', (m: Request | 'close') => {
  if (m === 'close') {
    queue = queue.then(async () => {
      await client?.end().catch(() => undefined);
      port.close();
    });
    return;
  }
  queue = queue.then(() => answer(m));
});
