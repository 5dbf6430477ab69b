import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The file operations the spool needs, in one place (synchronous: small, sequential, on a local disk). */
export class SpoolFiles {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** `device:inode` of the directory, or undefined when it is gone; a change means it was replaced. */
  identity(): string | undefined {
    try {
      const st = statSync(this.dir);
      return st.isDirectory() ? `${st.dev}:${st.ino}` : undefined;
    } catch {
      return undefined;
    }
  }

  segmentName(n: number): string {
    return `${String(n).padStart(12, '0')}.seg`;
  }

  /** Segment numbers present on disk, oldest first. */
  listSegments(): number[] {
    return readdirSync(this.dir)
      .filter((f) => /^\d{12}\.seg$/.test(f))
      .map((f) => Number(f.slice(0, 12)))
      .sort((a, b) => a - b);
  }

  readSegment(n: number): Buffer {
    return readFileSync(join(this.dir, this.segmentName(n)));
  }

  /** Reads `length` bytes at `offset` of an open segment. */
  readAt(fd: number, offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  openSegment(n: number): number {
    return openSync(join(this.dir, this.segmentName(n)), 'a+');
  }

  sizeOf(fd: number): number {
    return fstatSync(fd).size;
  }

  append(fd: number, data: Buffer): void {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  }

  truncate(fd: number, size: number): void {
    ftruncateSync(fd, size);
  }

  close(fd: number): void {
    closeSync(fd);
  }

  removeSegment(n: number): void {
    try {
      unlinkSync(join(this.dir, this.segmentName(n)));
    } catch {
      // already gone
    }
  }

  /** Moves damaged bytes aside for inspection (`quarantine/<segment>.<offset>.bad`). */
  quarantine(n: number, offset: number, bytes: Buffer): string {
    const qdir = join(this.dir, 'quarantine');
    mkdirSync(qdir, { recursive: true });
    const path = join(qdir, `${this.segmentName(n)}.${offset}.bad`);
    writeFileSync(path, bytes);
    return path;
  }

  /** Reads a small JSON state file, or undefined. */
  readJson<T>(name: string): T | undefined {
    const path = join(this.dir, name);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Writes a small JSON state file atomically (temp file, then rename). */
  writeJson(name: string, value: unknown): void {
    const path = join(this.dir, name);
    writeFileSync(`${path}.tmp`, JSON.stringify(value));
    renameSync(`${path}.tmp`, path);
  }
}
