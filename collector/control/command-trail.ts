import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { InternalRecord } from '../pipeline/internal-events.js';
import type { CommandRecord } from './command-dispatcher.js';
import type { CommandLog } from './command-log.js';
import type { ControlPlaneMetrics } from './control-metrics.js';

/** Where a command's status changes are kept. */
export interface CommandTrailDeps {
  log: CommandLog;
  audit: AuditLog;
  metrics: ControlPlaneMetrics;
  clock: Clock;
  logger: Logger;
  /** Writes the collector's own records into the store, so `/api/traces` shows the command beside the edge action. */
  writeInternal(records: InternalRecord[]): Promise<void>;
}

/**
 * The dispatcher's `changed` callback: every status of a command is saved in the command log (so
 * `GET /api/commands/{id}` survives restarts), final ones are counted and audited with who asked, and
 * issue and outcome are written as records in the command's trace.
 */
export function commandTrail(deps: CommandTrailDeps): (record: CommandRecord) => void {
  return (record) => {
    deps.log.save(record);
    if (record.status !== 'pending' && record.status !== 'accepted') {
      deps.metrics.finished(record.type, record.status);
      deps.audit.record({ who: record.requestedBy ?? 'collector', source: 'collector', action: `command.${record.type}`, target: `${record.node}${record.task ? `/${record.task}` : ''}`, outcome: record.status, detail: { commandId: record.id, ...(record.reason ? { reason: record.reason } : {}) } });
    }
    if (record.status === 'accepted') return;
    const traceId = record.traceparent.split('-')[1];
    const what = `command ${record.type}${record.task ? ` ${record.task}` : ''} on ${record.node}`;
    const entry: InternalRecord = {
      timeMs: deps.clock.now(),
      level: record.status === 'done' || record.status === 'pending' ? 'info' : 'warn',
      msg: record.status === 'pending' ? `${what} issued` : `${what} ${record.status}${record.reason ? `: ${record.reason}` : ''}`,
      node: record.node,
      attrs: { command_id: record.id, command_type: record.type, command_status: record.status, ...(record.task ? { task: record.task } : {}) },
      ...(traceId ? { trace_id: traceId } : {}),
    };
    deps.writeInternal([entry]).catch((err) => deps.logger.warn('could not record command event', { err }));
  };
}
