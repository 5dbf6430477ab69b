import type { Command } from '../../protocol/commands.js';

/** The cloud's remediation steps a node can also take: a local step on the same task yields to them. */
const ACTING = new Set(['restart', 'rollback']);

/**
 * The cloud's recent commands per task, as the executor handled them: a cloud action under way (or just
 * done) wins over a local one, so the node never acts twice on one fault.
 */
export class CloudCommands {
  private readonly byTask = new Map<string, { id: string; type: string; at: number; finished: boolean }>();

  constructor(private readonly now: () => number) {}

  seen(cmd: Command | undefined, status: string): void {
    if (!cmd?.task || !ACTING.has(cmd.type) || status === 'rejected') return;
    this.byTask.set(cmd.task, { id: cmd.id, type: cmd.type, at: this.now(), finished: status !== 'accepted' });
  }

  /** The task's cloud command still running, or finished within `withinMs`. */
  recent(task: string, withinMs: number): { id: string; type: string } | undefined {
    const c = this.byTask.get(task);
    if (!c || (c.finished && this.now() - c.at > withinMs)) return undefined;
    return { id: c.id, type: c.type };
  }
}
