/** The uid and slug of the shipped task dashboard (grafana/dashboards/task-detail.json). */
export const TASK_DASHBOARD = { uid: 'edgewatch-task', slug: 'edgewatch-task' } as const;

/** How far around an incident the dashboard link reaches. */
const MARGIN_MS = 15 * 60_000;

/**
 * The Grafana task dashboard for a node and task over a time range (`console.grafanaUrl` is Grafana's
 * base URL); undefined without a base URL or without a node and task.
 */
export function taskDashboardUrl(grafanaUrl: string | undefined, node: string | undefined, task: string | undefined, fromMs?: number, toMs?: number): string | undefined {
  if (!grafanaUrl || !node || !task) return undefined;
  const q = new URLSearchParams({ 'var-node': node, 'var-task': task });
  if (fromMs !== undefined) q.set('from', String(Math.floor(fromMs - MARGIN_MS)));
  if (toMs !== undefined) q.set('to', String(Math.ceil(toMs + MARGIN_MS)));
  return `${grafanaUrl.replace(/\/+$/, '')}/d/${TASK_DASHBOARD.uid}/${TASK_DASHBOARD.slug}?${q.toString()}`;
}
