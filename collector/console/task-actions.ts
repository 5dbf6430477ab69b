import { html, type Html } from './html.js';
import { canOperate, type PageContext } from './layout.js';

/** The everyday commands an operator may send from the console (apply and release stay with admins and the API). */
export const CONSOLE_COMMANDS = [
  { type: 'restart', label: 'Restart', confirm: 'Restart {task} on {node}? The task stops (SIGTERM) and starts again.' },
  { type: 'rollback', label: 'Roll back', confirm: 'Roll {task} on {node} back to its previous version?' },
  { type: 'stop', label: 'Stop', confirm: 'Stop {task} on {node}? It stays stopped until started.' },
  { type: 'start', label: 'Start', confirm: 'Start {task} on {node}?' },
] as const;

/**
 * The command buttons of one task, or nothing for a role that cannot use them (a viewer never sees a
 * button it would be refused). The console script asks for confirmation, sends POST /api/commands and
 * shows the outcome in the status line as the acks arrive.
 */
export function taskActions(ctx: PageContext, node: string, task: string): Html {
  if (!canOperate(ctx)) return html``;
  return html`<div class="actions" data-node="${node}" data-task="${task}" role="group" aria-label="Commands for ${task} on ${node}">
${CONSOLE_COMMANDS.map((c) => html`<button type="button" class="command" data-command="${c.type}" data-confirm="${c.confirm.replace('{task}', task).replace('{node}', node)}">${c.label}</button>`)}
<output class="command-status" aria-live="polite"></output>
</div>`;
}
