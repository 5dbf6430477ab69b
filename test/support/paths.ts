import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute path of a fixture script in test/fixtures. */
export function fixture(name: string): string {
  return join(repoRoot, 'test', 'fixtures', name);
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'edgewatch-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
