import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nodePage, nodesQuerySchema } from '../../../../collector/api/node-query.js';
import type { NodeState } from '../../../../collector/control/node-registry.js';
import { DesiredSpecs } from '../../../../collector/desired/desired-specs.js';
import { StateDb } from '../../../../collector/state/state-db.js';
import { FakeClock } from '../../../../common/clock.js';
import { parseTaskSpec } from '../../../../protocol/task-spec.js';
import { tempDir } from '../../../support/paths.js';

const node = (name: string, status: NodeState['status'], labels: Record<string, string> = {}): NodeState => ({
  node: name,
  status,
  statusSinceMs: 0,
  labels,
  taints: [],
  maxTasks: 0,
  tasks: new Map(),
});

describe('GET /api/nodes pages', () => {
  const fleet = [
    node('edge-03', 'online', { zone: 'b' }),
    node('edge-01', 'online', { zone: 'a' }),
    node('gw-01', 'offline', { zone: 'a' }),
    node('edge-02', 'offline', { zone: 'a' }),
    node('edge-04', 'unknown'),
  ];
  const page = (query: Record<string, string>) => nodePage(fleet, nodesQuerySchema.parse(query));

  it('walks the fleet in name order with a cursor, each page carrying the whole fleet\'s summary', () => {
    const names: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    do {
      const p = page({ limit: '2', ...(after ? { after } : {}) });
      assert.deepEqual(p.summary, { total: 5, online: 2, offline: 2, unknown: 1 });
      names.push(...p.nodes.map((n) => n.node));
      after = p.next;
      pages++;
    } while (after);
    assert.deepEqual(names, ['edge-01', 'edge-02', 'edge-03', 'edge-04', 'gw-01']);
    assert.equal(pages, 3);
  });

  it('filters by status, label, name prefix and name', () => {
    const names = (q: Record<string, string>) => page(q).nodes.map((n) => n.node);
    assert.deepEqual(names({ status: 'offline' }), ['edge-02', 'gw-01']);
    assert.deepEqual(names({ label: 'zone=a', prefix: 'edge-' }), ['edge-01', 'edge-02']);
    assert.deepEqual(names({ name: 'gw-01' }), ['gw-01']);
    assert.deepEqual(names({ label: 'zone=' }), []);
  });

  it('refuses pages over the cap and unknown parameters', () => {
    assert.equal(nodesQuerySchema.safeParse({ limit: '100000' }).success, false);
    assert.equal(nodesQuerySchema.safeParse({ limit: '-1' }).success, false);
    assert.equal(nodesQuerySchema.safeParse({ sort: 'name' }).success, false);
  });
});

describe('GET /api/specs pages', () => {
  it('walks the desired specs in (node, task) order, of the fleet or of one node', () => {
    const dir = tempDir();
    const state = new StateDb(join(dir.dir, 'state.db'));
    try {
      const desired = new DesiredSpecs(state, new FakeClock(0));
      for (const [n, t] of [['b', 'web'], ['a', 'web'], ['a', 'db'], ['c', 'api'], ['b', 'api']] as const) {
        const parsed = parseTaskSpec({ name: t, command: ['/bin/true'], version: 'v1' });
        assert.ok(parsed.ok);
        desired.set(n, parsed.spec, 'api');
      }
      const walk = (limit: number, of?: string) => {
        const keys: string[] = [];
        let after: { node: string; task: string } | undefined;
        for (;;) {
          const p = desired.page(limit, after, of);
          keys.push(...p.specs.map((s) => `${s.node}/${s.task}`));
          if (!p.next) return keys;
          after = p.next;
        }
      };
      assert.deepEqual(walk(2), ['a/db', 'a/web', 'b/api', 'b/web', 'c/api']);
      assert.deepEqual(walk(1, 'b'), ['b/api', 'b/web']);
      assert.deepEqual(desired.page(10).next, null);
    } finally {
      state.close();
      dir.cleanup();
    }
  });
});
