import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IncidentJournal, type LocalIncident } from '../../../../exporter/edge/incident-journal.js';
import { tempDir } from '../../../support/paths.js';

function incident(id: string, startedAt: number, status: LocalIncident['status'] = 'firing'): LocalIncident {
  return { id, rev: 0, rule: 'r', key: 'r{}', task: 'web', status, severity: 'critical', labels: { node: 'n', task: 'web' }, annotations: {}, startedAt, updatedAt: startedAt, offline: true, traceIds: [], actions: [], timeline: [], logs: [], ladder: ['restart'], step: 0, ruleFiring: true, shippedRev: -1 };
}

describe('local incident journal', () => {
  it('writes nothing for a node without incidents', () => {
    const tmp = tempDir();
    new IncidentJournal(join(tmp.dir, 'state')).close();
    assert.equal(existsSync(join(tmp.dir, 'state', 'edge-incidents.jsonl')), false);
    tmp.cleanup();
  });

  it('keeps the newest revision, survives a torn last line, and knows what the collector has not acknowledged', () => {
    const tmp = tempDir();
    const dir = join(tmp.dir, 'state');
    const j = new IncidentJournal(dir);
    const a = incident('aaaaaaaa-1', 1);
    j.save(a);
    a.status = 'resolved';
    j.save(a);
    const b = incident('bbbbbbbb-2', 2);
    j.save(b);
    j.shipped(a.id, 2);
    j.close();
    appendFileSync(join(dir, 'edge-incidents.jsonl'), '{"id":"cccccccc-3","rev":1,"sta'); // a crash mid-write
    const again = new IncidentJournal(dir);
    assert.deepEqual(again.all().map((i) => [i.id, i.rev, i.status]), [['aaaaaaaa-1', 2, 'resolved'], ['bbbbbbbb-2', 1, 'firing']]);
    assert.deepEqual(again.unshipped().map((i) => i.id), ['bbbbbbbb-2']);
    assert.deepEqual(again.open().map((i) => i.id), ['bbbbbbbb-2']);
    assert.equal(readFileSync(join(dir, 'edge-incidents.jsonl'), 'utf8').trim().split('\n').length, 2, 'compacted at start');
    again.close();
    tmp.cleanup();
  });
});
