import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link startWebhookReceiver} got: its raw bytes (what a signature covers), headers and arrival time. */
export interface ReceivedRequest {
  atMs: number;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  /** The status it was answered with ('hang': never answered). */
  answer: number | 'hang';
}

/** A real HTTP receiver on 127.0.0.1, port 0, answering each request as `answer(n)` says (n from 0). */
export async function startWebhookReceiver(answer: (n: number) => number | 'hang' = () => 200): Promise<{
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = answer(requests.length);
      requests.push({ atMs: Date.now(), path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks), answer: a });
      if (a === 'hang') hanging.push(res);
      else res.writeHead(a, { 'content-type': 'text/plain' }).end(`answered ${a}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
