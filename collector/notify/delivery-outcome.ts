import type { HttpPostResponse } from './http-post.js';

/** How one delivery attempt ended. */
export type Outcome = { kind: 'success' } | { kind: 'rejected' | 'permanent' | 'transient'; reason: string; response?: string };

/** 2xx delivered; 5xx worth retrying; 4xx the receiver's final word; anything else is not retried (as Alertmanager's notify.Retrier). */
export function classify(res: HttpPostResponse): Outcome {
  const reason = `HTTP ${res.status}`;
  if (res.status >= 200 && res.status < 300) return { kind: 'success' };
  if (res.status >= 500 && res.status < 600) return { kind: 'transient', reason };
  const response = res.body.slice(0, 200);
  if (res.status >= 400 && res.status < 500) return { kind: 'rejected', reason, response };
  return { kind: 'permanent', reason, response };
}

/** A webhook URL fit for a log line: no credentials, no query (tokens often live there). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
