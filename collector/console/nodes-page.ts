import type { TaskStatusWire } from '../../protocol/telemetry.js';
import type { NodeState } from '../control/node-registry.js';
import { agoText, badge, bytesText, durationText, timeTag } from './format.js';
import { html, pathOf, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { taskActions } from './task-actions.js';

/** A node as the page shows it: its state and the registry's one-line diagnosis. */
export interface NodeRow {
  state: NodeState;
  diagnosis: string;
}

const NODE_TONE = { online: 'ok', offline: 'bad', unknown: 'muted' } as const;

/** A task state as a badge: running is fine, backoff and failed are not. */
export function taskStateBadge(state: string): Html {
  const tone = state === 'running' || state === 'succeeded' ? 'ok' : state === 'failed' || state === 'backoff' || state === 'crashloop' ? 'bad' : state === 'stopped' ? 'muted' : 'warn';
  return badge(state, tone);
}

/** The last exit of a task in words. */
export function exitText(t: TaskStatusWire): string {
  const e = t.lastExit;
  if (!e) return '';
  const how = e.signal ? `signal ${e.signal}` : e.code !== null ? `code ${e.code}` : e.outcome;
  return `${e.outcome} (${how})${e.message ? `: ${e.message}` : ''}`;
}

function load(n: NodeState): Html {
  const l = n.load;
  if (!l) return html`<span class="muted">no heartbeat yet</span>`;
  const mem = l.memoryTotalBytes > 0 ? ` of ${bytesText(l.memoryTotalBytes)} (${Math.round((l.memoryBytes / l.memoryTotalBytes) * 100)}%)` : '';
  return html`CPU ${(l.cpu * 100).toFixed(0)}% of a core · memory ${bytesText(l.memoryBytes)}${mem} · ${l.tasks} tasks · spool ${l.spoolRecords} records (${bytesText(l.spoolBytes)})`;
}

function taskRow(ctx: PageContext, n: NodeState, t: TaskStatusWire): Html {
  return html`<tr>
<td data-label="Task"><a href="${pathOf('nodes', n.node, 'tasks', t.name)}">${t.name}</a>${t.job ? html` <span class="muted">(job)</span>` : ''}</td>
<td data-label="State">${taskStateBadge(t.state)}</td>
<td data-label="Version">${t.version}</td>
<td data-label="Restarts">${t.restarts}${t.lastRestartReason ? html` <span class="muted">(last: ${t.lastRestartReason})</span>` : ''}</td>
<td data-label="Up since">${t.state === 'running' && t.startedAt !== undefined ? html`${durationText(ctx.now - t.startedAt)}` : html`<span class="muted">${exitText(t) || '—'}</span>`}</td>
<td data-label="Commands">${taskActions(ctx, n.node, t.name)}<a href="${pathOf('nodes', n.node, 'tasks', t.name)}#logs">logs</a></td>
</tr>`;
}

function nodeCard(ctx: PageContext, { state: n, diagnosis }: NodeRow): Html {
  const tasks = [...n.tasks.values()].sort((a, b) => a.name.localeCompare(b.name));
  return html`<section class="card node" id="node-${n.node}" aria-labelledby="h-node-${n.node}">
<h2 id="h-node-${n.node}">${n.node} ${badge(n.status, NODE_TONE[n.status])}</h2>
<dl class="facts">
<dt>Diagnosis</dt><dd>${diagnosis}</dd>
<dt>Heartbeat</dt><dd>${n.lastHeartbeatMs !== undefined ? html`${agoText(n.lastHeartbeatMs, ctx.now)} (${timeTag(n.lastHeartbeatMs, 'time')})` : html`<span class="muted">never</span>`}</dd>
<dt>Load</dt><dd>${load(n)}</dd>
<dt>Link latency</dt><dd>${n.linkLatencyMs !== undefined ? `${n.linkLatencyMs.toFixed(1)} ms` : html`<span class="muted">not measured</span>`}</dd>
${n.lastLogMs !== undefined ? html`<dt>Last log</dt><dd>${agoText(n.lastLogMs, ctx.now)}</dd>` : ''}
</dl>
${tasks.length
  ? html`<table class="list tasks"><caption class="visually-hidden">Tasks on ${n.node}</caption>
<thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Version</th><th scope="col">Restarts</th><th scope="col">Up</th><th scope="col">Commands</th></tr></thead>
<tbody>${tasks.map((t) => taskRow(ctx, n, t))}</tbody></table>`
  : html`<p class="muted">No tasks reported.</p>`}
</section>`;
}

/** `/nodes`: every node with its status, diagnosis, heartbeat age, load and link latency, and its tasks. */
export function nodesPage(ctx: PageContext, nodes: readonly NodeRow[]): Html {
  const online = nodes.filter((n) => n.state.status === 'online').length;
  return layout(ctx, {
    title: 'Nodes',
    nav: 'nodes',
    body: html`<h1>Nodes</h1>
<p class="lead">${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${online} online.</p>
<div id="nodes" data-live="10">${nodes.length ? nodes.map((n) => nodeCard(ctx, n)) : html`<p class="empty">No node has been heard from yet.</p>`}</div>`,
  });
}
