import type { Clock } from '../../common/clock.js';
import type { TaskSpec } from '../../protocol/task-spec.js';
import type { SqlDatabase, SqlStatement, StateHandle } from '../state/sql-database.js';

/** Where a desired spec came from: the fleet file, the API, or an `apply` the collector sent. */
export type SpecSource = 'file' | 'api' | 'apply';

/** A task's desired spec on a node, as the cloud recorded it. */
export interface DesiredSpec {
  node: string;
  task: string;
  version: string;
  source: SpecSource;
  updatedAt: number;
  spec: TaskSpec;
}

interface Row {
  node: string;
  task: string;
  version: string;
  source: SpecSource;
  updated_ms: number;
  spec: string;
}

/**
 * Desired state, owned by the cloud (the Kubernetes API server's pod specs): the spec of every task the
 * collector may move or restore. Edges report status; what they report is never applied elsewhere.
 * Migration reads specs only from here.
 */
export class DesiredSpecs {
  private readonly upsert: SqlStatement<[string, string, string, string, number, string]>;
  private readonly one: SqlStatement<[string, string], Row>;
  private readonly ofNode: SqlStatement<[string], Row>;
  private readonly all: SqlStatement<[], Row>;
  private readonly remove: SqlStatement<[string, string]>;
  private readonly pageAll: SqlStatement<[string, string, number], Row>;
  private readonly pageOfNode: SqlStatement<[string, string, string, number], Row>;

  constructor(
    state: StateHandle,
    private readonly clock: Clock,
  ) {
    const db = state.db;
    this.upsert = db.prepare(
      'INSERT INTO desired_specs (node, task, version, source, updated_ms, spec) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(node, task) DO UPDATE SET version = excluded.version, source = excluded.source, updated_ms = excluded.updated_ms, spec = excluded.spec',
    );
    this.one = db.prepare('SELECT * FROM desired_specs WHERE node = ? AND task = ?');
    this.ofNode = db.prepare('SELECT * FROM desired_specs WHERE node = ? ORDER BY task');
    this.all = db.prepare('SELECT * FROM desired_specs ORDER BY node, task');
    this.remove = db.prepare('DELETE FROM desired_specs WHERE node = ? AND task = ?');
    this.pageAll = db.prepare('SELECT * FROM desired_specs WHERE (node, task) > (?, ?) ORDER BY node, task LIMIT ?');
    this.pageOfNode = db.prepare('SELECT * FROM desired_specs WHERE node = ? AND (node, task) > (?, ?) ORDER BY task LIMIT ?');
  }

  set(node: string, spec: TaskSpec, source: SpecSource): void {
    this.upsert.run(node, spec.name, spec.version, source, this.clock.now(), JSON.stringify(spec));
  }

  get(node: string, task: string): DesiredSpec | undefined {
    const row = this.one.get(node, task);
    return row && desiredOf(row);
  }

  /** Every desired task of a node, or of the fleet. */
  list(node?: string): DesiredSpec[] {
    return (node === undefined ? this.all.all() : this.ofNode.all(node)).map(desiredOf);
  }

  /**
   * At most `limit` specs in (node, task) order after the cursor `after` (the previous page's last), of one
   * node or of the fleet; `next` is the cursor of the following page, null on the last.
   */
  page(limit: number, after?: { node: string; task: string }, node?: string): { specs: DesiredSpec[]; next: { node: string; task: string } | null } {
    const from = [after?.node ?? '', after?.task ?? ''] as const;
    const rows = node === undefined ? this.pageAll.all(...from, limit + 1) : this.pageOfNode.all(node, ...from, limit + 1);
    const specs = rows.slice(0, limit).map(desiredOf);
    const last = specs.at(-1);
    return { specs, next: rows.length > limit && last ? { node: last.node, task: last.task } : null };
  }

  /** Forgets a task's desired spec (after a `release`); false when there was none. */
  delete(node: string, task: string): boolean {
    return this.remove.run(node, task).changes > 0;
  }
}

function desiredOf(row: Row): DesiredSpec {
  return { node: row.node, task: row.task, version: row.version, source: row.source, updatedAt: row.updated_ms, spec: JSON.parse(row.spec) as TaskSpec };
}

/** Makes the file's specs the desired ones from the file: added or updated, and those no longer in it dropped. */
export function syncDesiredFile(desired: DesiredSpecs, file: Map<string, TaskSpec[]>): void {
  const keep = new Set<string>();
  for (const [node, specs] of file) {
    for (const spec of specs) {
      desired.set(node, spec, 'file');
      keep.add(`${node}/${spec.name}`);
    }
  }
  for (const d of desired.list()) if (d.source === 'file' && !keep.has(`${d.node}/${d.task}`)) desired.delete(d.node, d.task);
}
