import { existsSync, mkdtempSync, readdirSync, rmdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorMessage } from '../errors.js';

/** The directory itself when it exists, else its nearest existing ancestor (where it would be created). */
function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/**
 * Why files cannot be created in `dir` (or in the ancestor it would be created in), or undefined when
 * they can: a real test (a temporary directory made and removed), so a read-only mount, a full disk of
 * inodes or permissions all show.
 */
export function notWritable(dir: string): string | undefined {
  const at = nearestExisting(dir);
  if (!statSync(at).isDirectory()) return `${at} is not a directory`;
  try {
    rmdirSync(mkdtempSync(join(at, '.edgewatch-check-')));
    return undefined;
  } catch (err) {
    const reason = errorMessage(err).replace(/, mkdtemp '.*'$/, '');
    return `cannot create files in ${at}${at === dir ? '' : ` (where ${dir} would be created)`}: ${reason}`;
  }
}

/** Bytes free for this user on the file system that holds `dir` (or would). */
export function freeBytes(dir: string): number {
  const s = statfsSync(nearestExisting(dir));
  return s.bavail * s.bsize;
}

/** Bytes the regular files directly in `dir` take (0 when it does not exist). */
export function bytesIn(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) if (f.isFile()) total += statSync(join(dir, f.name)).size;
  return total;
}

/** "256 MiB", for messages. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}
