import type { Readable } from 'node:stream';
import type { Request } from 'express';
import { errorMessage } from '../../common/errors.js';

/** A request body refused before any route logic: the status and a message that says what to fix. */
export class BodyRefusal extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** Reads at most `limit` bytes; undefined when the body is larger (the rest is drained, not kept). */
export function readBody(req: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else resolve(undefined);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/** The deepest nesting of arrays and objects in JSON text (strings skipped), stopping once past `max`. */
export function jsonDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** Refuses a body the API does not read: compressed, not JSON, or larger than `limit` (checked before reading). */
export function checkBodyHeaders(req: Request, limit: number): void {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') throw new BodyRefusal(415, `content-encoding ${JSON.stringify(encoding)} is not accepted: send the body uncompressed`);
  const type = req.get('content-type') ?? '';
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) throw new BodyRefusal(415, `content-type must be application/json, got ${JSON.stringify(type)}`);
  if (Number(req.get('content-length') ?? 0) > limit) throw new BodyRefusal(413, `body larger than ${limit} bytes`);
}

/** Parses JSON text that must be an object, at most `maxDepth` deep. */
export function parseJsonObject(text: string, maxDepth: number): Record<string, unknown> {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new BodyRefusal(400, `JSON nested deeper than ${maxDepth} levels`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BodyRefusal(400, `body is not JSON: ${errorMessage(err)}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new BodyRefusal(400, `body must be a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  return json as Record<string, unknown>;
}

/** The whole checked body of a JSON request: headers, size, depth, and a JSON object. */
export async function readJsonObject(req: Request, limit: number, maxDepth = 32): Promise<Record<string, unknown>> {
  checkBodyHeaders(req, limit);
  const raw = await readBody(req, limit);
  if (!raw) throw new BodyRefusal(413, `body larger than ${limit} bytes`);
  return parseJsonObject(raw.toString('utf8'), maxDepth);
}
