import { parseTraceparent } from '../../protocol/trace-id.js';
import type { InternalRecord } from '../pipeline/internal-events.js';
import type { Incident } from './incident.js';

/**
 * The rule firing as a record in the incident's trace (beside the failing requests, the command and the
 * edge action), so `/api/traces/{id}` and the console's waterfall show the whole story. Its span id is
 * the rule-firing span's, which the incident's commands descend from.
 */
export function firedRecord(i: Incident): InternalRecord {
  const where = i.labels.task ? `${i.labels.task} on ${i.labels.node ?? '?'}` : (i.labels.node ?? 'its key');
  const value = i.evidence.value;
  const spanId = parseTraceparent(i.traceparent)?.spanId;
  return {
    timeMs: i.startedAt,
    level: 'warn',
    msg: `rule ${i.rule} fired for ${where}${value !== undefined ? ` (value ${Number(value.toFixed(3))})` : ''}`,
    trace_id: i.traceId,
    ...(spanId ? { span_id: spanId } : {}),
    ...(i.labels.node ? { node: i.labels.node } : {}),
    attrs: { incident_id: i.id, rule: i.rule, ...(i.labels.task ? { task: i.labels.task } : {}), ...(value !== undefined ? { value } : {}) },
  };
}
