#!/usr/bin/env node
// Runs one benchmark: `npm run bench -- NAME` imports the compiled dist/bench/NAME.js and awaits its main().
// EDGEWATCH_DIST selects another build folder (tsc --outDir dist-x), as for test/run.mjs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run bench -- NAME   (NAME is a file bench/NAME.ts, e.g. ingest)');
  process.exit(2);
}
const file = join(root, process.env.EDGEWATCH_DIST ?? 'dist', 'bench', `${name}.js`);
if (!existsSync(file)) {
  console.error(`no benchmark "${name}": ${file} does not exist (is there a bench/${name}.ts, and was it built?)`);
  process.exit(2);
}
const mod = await import(pathToFileURL(file).href);
if (typeof mod.main === 'function') await mod.main(process.argv.slice(3));
