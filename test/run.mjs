#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node:test, prints the spec report and
// ends with the summary line CI reads: "N passed, N failed".
// Usage: node test/run.mjs [filter...]   (a filter is a substring of the test file path)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// EDGEWATCH_DIST lets parallel builds use their own output folder (tsc --outDir dist-x).
const testDir = join(root, process.env.EDGEWATCH_DIST ?? 'dist', 'test');

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find(testDir)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ') || '(all)'} under ${relative(root, testDir)}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const stream = run({ files, concurrency: Number(process.env.TEST_CONCURRENCY ?? 2), timeout: 180_000 });
stream.on('test:pass', (d) => {
  if (d.details?.type === 'suite') return;
  if (d.skip || d.todo) skipped++;
  else passed++;
});
stream.on('test:fail', (d) => {
  if (d.details?.type === 'suite') return;
  failed++;
  failures.push(`${d.file ? relative(root, d.file) + ': ' : ''}${d.name}`);
});
stream.compose(spec).pipe(process.stdout);
await new Promise((resolve) => stream.on('end', resolve));
await new Promise((resolve) => setImmediate(resolve));
if (failures.length) console.log(`\nfailed:\n  ${failures.join('\n  ')}`);
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
