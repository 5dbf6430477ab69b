import { existsSync, statSync } from 'node:fs';
import { EdgewatchError, errorMessage } from '../../common/errors.js';
import { checkSqliteHeader } from './sqlite-header.js';

/** One database file of the collector: where it is, the config key that put it there, what it holds. */
export interface StoreFile {
  path: string;
  key: string;
  /** What moving it aside loses, e.g. "every stored log record and trace". */
  holds: string;
}

/** The collector's three database files, with their keys (from the config's resolved paths). */
export function storeFilesOf(paths: { store: string; state: string; outbox: string; keys: Record<'store' | 'state' | 'outbox', string> }): Record<'store' | 'state' | 'outbox', StoreFile> {
  return {
    store: { path: paths.store, key: paths.keys.store, holds: 'every stored log record and trace' },
    state: { path: paths.state, key: paths.keys.state, holds: "incidents, the command history and the nodes' fencing epochs" },
    outbox: { path: paths.outbox, key: paths.keys.outbox, holds: 'webhook deliveries not yet sent' },
  };
}

/** Errors that say the file is fine but cannot be reached: permissions, a read-only or full disk. */
const ACCESS = /^(SQLITE_CANTOPEN|SQLITE_READONLY|SQLITE_PERM|SQLITE_FULL|SQLITE_BUSY|SQLITE_LOCKED|EACCES|EPERM|EROFS|ENOSPC|ENOTDIR|EISDIR)/;

/** A store file that cannot be used: names the file, its key, and what to do about it. */
export class StoreFileError extends EdgewatchError {
  constructor(
    readonly file: StoreFile,
    readonly damaged: boolean,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('EW_STORE_OPEN', damaged ? damagedMessage(file, detail) : `${file.key}: ${file.path}: cannot open it (${detail}): check that its directory exists and this user can write there`, options);
    this.name = 'StoreFileError';
  }
}

function damagedMessage(f: StoreFile, detail: string): string {
  return [
    `${f.key}: ${f.path}: the file is damaged (${detail}).`,
    '  Two ways out:',
    `  - restore ${f.path} from a backup (stop the collector first; copy its -wal file too if the backup has one), or`,
    `  - move it aside and start with an empty one, losing ${f.holds}:`,
    `      mv ${f.path} ${f.path}.damaged; rm -f ${f.path}-wal ${f.path}-shm`,
  ].join('\n');
}

/**
 * Opens one database file through `open`, turning any failure into a {@link StoreFileError}. Before SQLite
 * sees it, a file that exists is checked: a zero-byte file is refused (SQLite would take it for a new,
 * empty database, and a truncated store would start silently empty), and so is one shorter than its
 * header says ({@link checkSqliteHeader}).
 */
export function openStoreFile<T>(file: StoreFile, open: () => T): T {
  if (file.path !== ':memory:' && existsSync(file.path)) {
    const st = statSync(file.path);
    if (st.isFile() && st.size === 0) throw new StoreFileError(file, true, 'it is empty: 0 bytes where a database was');
    let problem: string | undefined;
    try {
      problem = st.isFile() ? checkSqliteHeader(file.path, st.size) : undefined;
    } catch (err) {
      throw new StoreFileError(file, false, errorMessage(err), { cause: err });
    }
    if (problem) throw new StoreFileError(file, true, problem);
  }
  try {
    return open();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = errorMessage(err).replace(/\s*\n\s*/g, '; ');
    const detail = `${message}${typeof code === 'string' && !message.includes(code) ? `, ${code}` : ''}`;
    throw new StoreFileError(file, !(typeof code === 'string' && ACCESS.test(code)), detail, { cause: err });
  }
}
