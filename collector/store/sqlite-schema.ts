import type Database from 'better-sqlite3';

/**
 * Tables of the correlation store. Events are appended as blocks (one per ingested batch, the entries exactly as received), so ingest
 * costs a few sequential inserts per batch instead of a random index insert per record; trace ids are
 * indexed per segment of blocks (in memory while the segment is open, as a Bloom filter plus id list
 * once sealed), the way Grafana Tempo and Loki index sealed blocks.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS blocks (
  id INTEGER PRIMARY KEY,
  min_ms INTEGER NOT NULL,
  max_ms INTEGER NOT NULL,
  records INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  tag TEXT NOT NULL,
  marks TEXT,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_by_max_ms ON blocks (max_ms);
CREATE TABLE IF NOT EXISTS chunks (
  chunk_id TEXT PRIMARY KEY,
  received_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_by_received ON chunks (received_ms);
CREATE TABLE IF NOT EXISTS deliveries (
  sid TEXT PRIMARY KEY,
  ranges TEXT NOT NULL,
  seen_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
  id INTEGER PRIMARY KEY,
  first_block INTEGER NOT NULL,
  last_block INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  bloom BLOB NOT NULL,
  ids BLOB NOT NULL,
  block_refs BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS segment_parts (
  segment_id INTEGER NOT NULL,
  part INTEGER NOT NULL,
  ids BLOB NOT NULL,
  block_refs BLOB NOT NULL,
  PRIMARY KEY (segment_id, part)
);
CREATE TABLE IF NOT EXISTS segment_streams (
  node TEXT NOT NULL,
  task TEXT NOT NULL,
  segment_id INTEGER NOT NULL,
  blocks BLOB NOT NULL,
  PRIMARY KEY (node, task, segment_id)
);
CREATE INDEX IF NOT EXISTS segment_streams_by_segment ON segment_streams (segment_id);
`;

/** Opens the store's pragmas and tables; `synchronous` "normal" survives a process crash, "full" also a power cut. */
export function prepareDatabase(db: Database.Database, synchronous: 'normal' | 'full'): void {
  // page_size and auto_vacuum only take effect before the first table exists. 16 KiB pages cut the
  // per-page WAL overhead of large blocks (measured 1.5x faster than 4 KiB for ~750 KB blocks) without
  // making the small commits of Message-mode senders write much more; auto_vacuum lets retention give space back.
  db.pragma('page_size = 16384');
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // Checkpoint every 64 MiB of WAL instead of every 16 MiB: fewer, larger copies and fsyncs under ingest load.
  db.pragma('wal_autocheckpoint = 4096');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.exec(DDL);
  // stores created before blocks carried their delivery marks
  const columns = db.prepare("SELECT name FROM pragma_table_info('blocks')").all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'marks')) db.exec('ALTER TABLE blocks ADD COLUMN marks TEXT');
}
