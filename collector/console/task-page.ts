import type { TaskStatusWire } from '../../protocol/telemetry.js';
import type { RecordView } from '../api/record-view.js';
import { durationText, timeTag } from './format.js';
import { taskDashboardUrl } from './grafana-link.js';
import { html, pathOf, withQuery, type Html } from './html.js';
import { nodeAnchor } from './incident-summary.js';
import { layout, type PageContext } from './layout.js';
import { logList, recordMs } from './log-lines.js';
import { exitText, taskStateBadge } from './nodes-page.js';
import { taskActions } from './task-actions.js';

/** How many recent log lines the task page opens with. */
export const TASK_LOG_LINES = 200;

/** What the task page shows: the task as its node last reported it (if it did), and its newest log lines. */
export interface TaskPageData {
  node: string;
  task: string;
  status?: TaskStatusWire;
  logs: readonly RecordView[];
  grafanaUrl?: string;
}

function facts(ctx: PageContext, t: TaskStatusWire): Html {
  return html`<dl class="facts summary">
<dt>State</dt><dd>${taskStateBadge(t.state)}</dd>
<dt>Version</dt><dd>${t.version}</dd>
<dt>Restarts</dt><dd>${t.restarts}${t.lastRestartReason ? ` (last: ${t.lastRestartReason})` : ''}</dd>
${t.startedAt !== undefined ? html`<dt>Started</dt><dd>${timeTag(t.startedAt)} (${durationText(ctx.now - t.startedAt)} ago)</dd>` : ''}
${t.lastExit ? html`<dt>Last exit</dt><dd>${exitText(t)} ${timeTag(t.lastExit.at, 'time')}</dd>` : ''}
${t.pid !== undefined ? html`<dt>PID</dt><dd>${t.pid}</dd>` : ''}
</dl>`;
}

/**
 * `/nodes/{node}/tasks/{task}`: the task's state, its commands (operators), and its newest log lines; the
 * console script tails new lines from GET /api/logs while the page is open.
 */
export function taskPage(ctx: PageContext, d: TaskPageData): Html {
  const last = d.logs.at(-1);
  const since = last ? recordMs(last) : ctx.now;
  const grafana = taskDashboardUrl(d.grafanaUrl, d.node, d.task, ctx.now - 60 * 60_000, ctx.now);
  const api = withQuery('/api/logs', { node: d.node, task: d.task });
  return layout(ctx, {
    title: `${d.task} on ${d.node}`,
    nav: 'nodes',
    body: html`<p class="crumbs"><a href="/nodes">Nodes</a> / <a href="${nodeAnchor(d.node)}">${d.node}</a> /</p>
<h1>${d.task} <span class="muted">on ${d.node}</span></h1>
${d.status ? facts(ctx, d.status) : html`<p class="muted">${d.node} has not reported a task ${d.task} (it may have been removed); its stored logs are below.</p>`}
${d.status ? taskActions(ctx, d.node, d.task) : ''}
<p class="links">${grafana ? html`<a href="${grafana}" rel="noopener noreferrer">Grafana: task dashboard</a> ` : ''}<a href="${api}">logs JSON</a></p>
<section aria-labelledby="logs"><h2 id="logs">Logs</h2>
<p class="tail-status muted" aria-live="polite" data-tail-state>The newest ${TASK_LOG_LINES} lines; new lines appear below while this page is open.</p>
${logList(d.logs, { id: 'tail', empty: 'No log lines stored for this task yet.' })}
<div hidden data-tail data-node="${d.node}" data-task="${d.task}" data-since="${String(since)}"></div>
</section>
<p class="muted"><a href="${pathOf('nodes')}">All nodes</a></p>`,
  });
}
