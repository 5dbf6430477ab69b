/** What placement knows of a candidate node. */
export interface NodeCandidate {
  node: string;
  online: boolean;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'NoExecute' }>;
  /** Tasks it runs now, and how many it may run. */
  tasks: number;
  maxTasks: number;
  /** EWMA forecasts of CPU (0..1 of the node) and memory (0..1 of the node). */
  cpuForecast: number;
  memoryForecast: number;
  /** Control-link round trip, ms. */
  linkLatencyMs: number;
  /** Free memory in bytes (total - used). */
  freeMemoryBytes: number;
}

/** What the task asks of a node. */
export interface PlacementRequest {
  nodeSelector: Record<string, string>;
  tolerations: Array<{ key: string; value?: string; effect?: 'NoSchedule' | 'NoExecute' }>;
  memoryLimitBytes?: number;
  /** Nodes that must not be chosen (the failed source). */
  exclude: string[];
}

/** Weights of the score: load = 0.6·cpu + 0.4·memory (EWMA forecasts), plus a latency penalty. */
export const SCORE_WEIGHTS = { cpu: 0.6, memory: 0.4, latencyPerSecond: 0.5 };

function tolerated(taint: NodeCandidate['taints'][number], tolerations: PlacementRequest['tolerations']): boolean {
  return tolerations.some((t) => t.key === taint.key && (t.value === undefined || t.value === taint.value) && (t.effect === undefined || t.effect === taint.effect));
}

/** Why a node was not chosen, or its score (lower is better). */
export type Verdict = { node: string; fit: false; why: string } | { node: string; fit: true; score: number };

/** Filters candidates by reachability, labels, taints and capacity, then scores the ones that fit. */
export function rankNodes(candidates: NodeCandidate[], req: PlacementRequest): Verdict[] {
  const out: Verdict[] = candidates.map((c): Verdict => {
    if (req.exclude.includes(c.node)) return { node: c.node, fit: false, why: 'excluded (the source)' };
    if (!c.online) return { node: c.node, fit: false, why: 'offline' };
    for (const [k, v] of Object.entries(req.nodeSelector)) if (c.labels[k] !== v) return { node: c.node, fit: false, why: `label ${k}=${v} missing` };
    const blocking = c.taints.find((t) => !tolerated(t, req.tolerations));
    if (blocking) return { node: c.node, fit: false, why: `taint ${blocking.key}${blocking.value ? `=${blocking.value}` : ''}:${blocking.effect} not tolerated` };
    if (c.tasks >= c.maxTasks) return { node: c.node, fit: false, why: `full (${c.tasks}/${c.maxTasks} tasks)` };
    if (req.memoryLimitBytes !== undefined && c.freeMemoryBytes < req.memoryLimitBytes) return { node: c.node, fit: false, why: 'not enough free memory for the task limit' };
    const score = SCORE_WEIGHTS.cpu * c.cpuForecast + SCORE_WEIGHTS.memory * c.memoryForecast + SCORE_WEIGHTS.latencyPerSecond * (c.linkLatencyMs / 1000);
    return { node: c.node, fit: true, score };
  });
  return out.sort((a, b) => (a.fit === b.fit ? (a.fit && b.fit ? a.score - b.score : a.node.localeCompare(b.node)) : a.fit ? -1 : 1));
}
