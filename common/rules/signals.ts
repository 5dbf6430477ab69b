import type { LogFields } from '../../protocol/log-record.js';
import type { RestartReason, TaskState } from '../../protocol/task-states.js';

/**
 * What the rule engine observes. Every signal carries `at` (epoch ms) and the labels rules group by
 * (`node`, `task`, `service`); the engine never reads the clock itself.
 */
export type Signal = LogSignal | HeartbeatSignal | TaskSignal | RestartSignal | AlertSignal | ValueSignal;

/** One normalised log event (from the forward input, or a line the exporter parsed). */
export interface LogSignal extends LogFields {
  kind: 'log';
  at: number;
  node?: string;
  task?: string;
  service?: string;
}

/** A node's heartbeat arrived (control channel). */
export interface HeartbeatSignal {
  kind: 'heartbeat';
  at: number;
  node: string;
  /** The node's load as the heartbeat reported it (for rules that watch memory or CPU). */
  load?: { cpu: number; memoryBytes: number; memoryTotalBytes: number };
}

/** A task's reported state (control channel state stream). */
export interface TaskSignal {
  kind: 'task';
  at: number;
  node: string;
  task: string;
  state: TaskState;
  version: string;
  restarts: number;
}

/** A task was restarted by its exporter (derived from the state stream). */
export interface RestartSignal {
  kind: 'restart';
  at: number;
  node: string;
  task: string;
  reason: RestartReason;
}

/** An Alertmanager alert received on POST /api/alertmanager. */
export interface AlertSignal {
  kind: 'alert';
  at: number;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  startsAt: number;
}

/** A bare numeric sample (a backtest CSV row, or any metric fed to a rule). */
export interface ValueSignal {
  kind: 'value';
  at: number;
  value: number;
  labels?: Record<string, string>;
}

/** The remediation a rule asks for when it fires; `ladder` overrides the default escalation order. */
export type ActionType = 'restart' | 'rollback' | 'migrate' | 'page' | 'none';

/** A rule's alert changing state for one key (one combination of its `by:` label values). */
export interface RuleTransition {
  rule: string;
  /** Stable id of (rule, key labels): the incident fingerprint is derived from it. */
  key: string;
  status: 'firing' | 'resolved';
  at: number;
  /** The `by:` labels plus the rule's static labels (always `node`/`task` when the rule groups by them). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  severity: string;
  /** First step of remediation, and the ladder to escalate through. */
  action: ActionType;
  ladder: ActionType[];
  /** The observed value that made the rule fire (streak length, ratio, z-score, count, seconds silent). */
  value?: number;
  /** Up to a few trace ids of the events that made it fire (evidence). */
  traceIds?: string[];
  /**
   * Why a `resolved` transition happened: the condition cleared (after `keepFiringFor`), the key saw no
   * signal for the rule's `idle` time (`stale`, like a Prometheus series going away), or it was evicted to
   * keep the rule within `maxKeys` (`evicted`).
   */
  resolvedBy?: 'condition' | 'stale' | 'evicted';
}
