import { closeSync, openSync, readSync } from 'node:fs';

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * What the 100-byte header of a SQLite file says is wrong with it, or undefined when nothing is
 * (sqlite.org/fileformat2.html, "The Database Header"): not a SQLite file at all, or shorter than the
 * page count the header records, which is what a truncated copy or a full disk leaves behind. Catches at
 * open what SQLite would only notice when a query reached a missing page.
 */
export function headerProblem(header: Buffer, fileBytes: number): string | undefined {
  if (fileBytes === 0) return undefined;
  if (header.length < 100 || !header.subarray(0, 16).equals(MAGIC)) return 'not a SQLite database: its header is missing or overwritten';
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = header.readUInt32BE(28);
  // the in-header size is only valid when "version-valid-for" matches the change counter
  const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
  if (valid && pages > 0 && fileBytes < pageSize * pages) return `truncated: ${fileBytes} bytes where its header records ${pages} pages of ${pageSize}`;
  return undefined;
}

/** Reads the header of the file at `path` and checks it against the file's size. */
export function checkSqliteHeader(path: string, fileBytes: number): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    const n = readSync(fd, header, 0, 100, 0);
    return headerProblem(header.subarray(0, n), fileBytes);
  } finally {
    closeSync(fd);
  }
}
