import http from 'node:http';
import https from 'node:https';
import { EdgewatchError, errorMessage } from '../../common/errors.js';
import type { HttpPost, HttpPostResponse } from './http-post.js';

/** Bytes of a response body kept for logs; the rest is read and dropped. */
const KEEP_BODY_BYTES = 1024;

/** {@link HttpPost} over node:http and node:https, with one deadline covering connect, send and the whole response. */
export class NodeHttpPost implements HttpPost {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpPostResponse> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? https.request : http.request;
      let settled = false;
      const finish = (err: Error | undefined, res?: HttpPostResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res!);
      };
      const req = send(target, {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      });
      // An adapter may own a real timer: this is the I/O edge, not the retry schedule (which runs on injected timers).
      const timer = setTimeout(() => {
        req.destroy(new EdgewatchError('EW_WEBHOOK_TIMEOUT', `no answer from ${target.origin} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (err) => {
        finish(err instanceof EdgewatchError ? err : new EdgewatchError('EW_WEBHOOK_UNREACHABLE', `cannot reach ${target.origin}: ${errorMessage(err)}`, { cause: err }));
      });
      req.on('response', (res) => {
        const kept: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < KEEP_BODY_BYTES) kept.push(chunk.subarray(0, KEEP_BODY_BYTES - size));
          size += chunk.length;
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(kept).toString('utf8') }));
        res.on('error', (err) => req.emit('error', err));
      });
      req.end(body);
    });
  }
}
