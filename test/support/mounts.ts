import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/**
 * Whether this test may mount file systems (a small tmpfs, a bind mount): it needs root and a kernel that
 * lets it. Under CI=true the lack of it fails the test (never a silent skip); elsewhere the test is
 * skipped with a loud message.
 */
export function mountsAllowed(): { skip: string | false } {
  const probe = mkdtempSync(join(tmpdir(), 'edgewatch-mount-probe-'));
  const mounted = run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  if (mounted.ok) run(['umount', probe]);
  rmdirSync(probe);
  if (mounted.ok) return { skip: false };
  const message = `cannot mount a tmpfs here (${mounted.err || 'mount failed'}): these fault tests need root and CAP_SYS_ADMIN`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
  return { skip: message };
}

/**
 * Mounts made by one test, all undone by {@link Mounts.cleanup} (call it from an `after` hook, so a failing
 * test leaves nothing mounted).
 */
export class Mounts {
  private readonly made: string[] = [];

  /** A tmpfs of `size` (mount's syntax: "256k") at `dir`, created if needed. */
  tmpfs(dir: string, size: string): void {
    mkdirSync(dir, { recursive: true });
    this.must(['mount', '-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
    this.made.push(dir);
  }

  /**
   * `dir` bind-mounted onto itself, so it can be remounted read-only without touching its file system
   * (the kernel refuses while a file is open for writing through it: for a directory in use, see
   * {@link readOnlyOver}).
   */
  bindSelf(dir: string): void {
    mkdirSync(dir, { recursive: true });
    this.must(['mount', '--bind', dir, dir]);
    this.made.push(dir);
  }

  /** Remounts a bind mount made by {@link bindSelf} read-only or read-write. */
  bindReadOnly(dir: string, readOnly: boolean): void {
    this.must(['mount', '-o', `remount,bind,${readOnly ? 'ro' : 'rw'}`, dir]);
  }

  /** Changes a tmpfs made by {@link tmpfs}: its size ("4m"), or read-only / read-write. */
  remountTmpfs(dir: string, options: string): void {
    this.must(['mount', '-o', `remount,${options}`, dir]);
  }

  /**
   * A read-only view of `dir` mounted over it in one step (bound and made read-only elsewhere, then moved
   * into place), so a program writing there cannot slip a file open in between. Files it has open stay
   * writable; every file it opens from then on (a new segment, a temp file renamed into place) is refused
   * with EROFS. {@link unmount} takes it away again.
   */
  readOnlyOver(dir: string): void {
    const staging = mkdtempSync(join(tmpdir(), 'edgewatch-ro-'));
    try {
      this.must(['mount', '--bind', dir, staging]);
      this.must(['mount', '-o', 'remount,bind,ro', staging]);
      this.must(['mount', '--move', staging, dir]);
      this.made.push(dir);
    } catch (err) {
      run(['umount', staging]);
      throw err;
    } finally {
      rmdirSync(staging);
    }
  }

  /** Unmounts `dir` (one of this object's mounts) now. */
  unmount(dir: string): void {
    this.must(['umount', dir]);
    this.made.splice(this.made.lastIndexOf(dir), 1);
  }

  /** Unmounts everything this object mounted, newest first; lazily if still busy. */
  cleanup(): void {
    while (this.made.length > 0) {
      const dir = this.made.pop()!;
      if (!run(['umount', dir]).ok) run(['umount', '-l', dir]);
    }
  }

  private must(args: string[]): void {
    const r = run(args);
    if (!r.ok) throw new Error(`${args.join(' ')}: ${r.err}`);
  }
}
