#!/usr/bin/env node
// `npm run bench -- NAME [args]`: runs the compiled benchmark dist/bench/NAME.js (EDGEWATCH_DIST selects
// another build folder). Each benchmark prints progress as it goes and one JSON object as its last line.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const dist = fileURLToPath(new URL(`../${process.env.EDGEWATCH_DIST ?? 'dist'}/bench/`, import.meta.url));
const name = process.argv[2];
const available = existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith('.js') && !f.startsWith('_')).map((f) => f.slice(0, -3)) : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (available: ${available.join(', ') || 'none built'})`);
  process.exit(2);
}
process.argv.splice(2, 1);
const mod = await import(pathToFileURL(join(dist, `${name}.js`)).href);
if (typeof mod.main === 'function') await mod.main(process.argv.slice(2));
