import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

/** The console's stylesheet, script and icon: plain files in collector/console/assets/ of the package. */
export const ASSETS_DIR = fileURLToPath(new URL('../../../collector/console/assets/', import.meta.url));

const TYPES: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/** One asset in memory: its bytes and a content hash (the `?v=` of its URL, so a new release is fetched anew). */
interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

/** The console's assets, read once at start; every page links them by {@link url}. */
export class ConsoleAssets {
  private readonly assets = new Map<string, Asset>();

  constructor(dir = ASSETS_DIR) {
    for (const [name, type] of Object.entries(TYPES)) {
      let body: Buffer;
      try {
        body = readFileSync(`${dir}${name}`);
      } catch (err) {
        throw new Error(`the console's ${name} is missing from ${dir} (${(err as Error).message}): reinstall edgewatch, or copy collector/console/assets/ beside dist/`);
      }
      this.assets.set(name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
    }
  }

  /** The URL of an asset, versioned by its content. */
  url(name: keyof typeof TYPES & string): string {
    return `/console/assets/${name}?v=${this.assets.get(name)?.hash ?? '0'}`;
  }

  /** GET /console/assets/{name}: cached for a year (the URL changes with the content), never sniffed. */
  routes(): Router {
    const router = Router();
    router.get('/console/assets/:name', (req, res, next) => {
      const a = this.assets.get(req.params.name);
      if (!a) return next();
      res.set({ 'Content-Type': a.type, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff', ETag: `"${a.hash}"` });
      if (req.get('if-none-match') === `"${a.hash}"`) return res.status(304).end();
      res.send(a.body);
    });
    return router;
  }
}
