import type { CommandRecord, CommandRequest } from '../control/command-dispatcher.js';
import type { NodeState } from '../control/node-registry.js';
import type { Incident } from '../incidents/incident.js';
import type { AlertStateInput } from '../notify/alert-state.js';
import type { TaskSpec } from '../../protocol/task-spec.js';

/** Everything remediation does to the outside world, behind one small interface (tests use fakes). */
export interface RemediationPorts {
  /** Signs and sends a command (to the node's broker session). */
  send(req: CommandRequest): { id: string };
  /** Resolves when the command is done, failed, rejected or timed out. */
  whenFinal(id: string): Promise<CommandRecord>;
  node(name: string): NodeState | undefined;
  /** The spec the cloud recorded for a task on a node (never one a node reported). */
  desiredSpec(node: string, task: string): TaskSpec | undefined;
  /** The tasks the cloud recorded for a node. */
  desiredTasks(node: string): string[];
  nodes(): NodeState[];
  /** Fences a node: commands from older epochs are refused by it from now on. */
  raiseEpoch(node: string): number;
  /** Makes the rule forget a key, so only fresh evidence fires it again. */
  forgetRule(rule: string, key: string): void;
  notify(alerts: AlertStateInput[]): void;
  randomHex(bytes: number): string;
  /** A node's claim on this incident's fault (it handled it itself): the collector does not act then. */
  edgeClaim?(incident: Pick<Incident, 'rule' | 'labels' | 'startedAt'>): { incidentId: string; commandIds: string[] } | undefined;
  /** A span for one remediation step, child of the incident's rule-firing span; its traceparent goes into the command. */
  stepSpan(name: string, incident: Pick<Incident, 'traceId' | 'traceparent'>): { traceparent: string; end(error?: string): void };
}

/** Whether a task runs on a node, as its exporter last reported. */
export function taskRunning(ports: RemediationPorts, node: string, task: string): boolean {
  const n = ports.node(node);
  return n?.status === 'online' && n.tasks.get(task)?.state === 'running';
}
