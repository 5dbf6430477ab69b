import { Router } from 'express';
import type { Leadership } from './leadership.js';

/** Lease timing, for /api/cluster. */
export interface ClusterTiming {
  leaseSeconds: number;
  renewSeconds: number;
}

/** What /api/cluster and /readyz say about this replica and the leader. */
export function clusterView(l: Leadership): { replica: string; role: 'leader' | 'standby'; leader: { replica: string; address: string | null; epoch: number; expiresInMs: number | null } | null } {
  const leader = l.leader();
  const live = leader && leader.expiresInMs > 0 ? leader : undefined;
  return {
    replica: l.replica,
    role: l.isLeader() ? 'leader' : 'standby',
    leader: live ? { replica: live.replica, address: live.address ?? null, epoch: live.epoch, expiresInMs: Number.isFinite(live.expiresInMs) ? live.expiresInMs : null } : null,
  };
}

/**
 * `GET /api/cluster`: the replicas, which one leads and its lease epoch. `GET /readyz`: ready on every
 * started replica (standbys serve the read API), saying its role and the leader; `GET /readyz?role=leader`
 * is ready on the leader only, for a load balancer that must send writes and forward traffic there.
 */
export function clusterRoutes(l: Leadership, timing: ClusterTiming, ready: () => { ok: boolean; reason?: string }): Router {
  const router = Router();
  router.get('/api/cluster', async (_req, res, next) => {
    try {
      const view = clusterView(l);
      const replicas = await l.replicas();
      res.json({
        ...view,
        clustered: l.clustered,
        epoch: view.leader?.epoch ?? null,
        lease: l.clustered ? timing : null,
        replicas: replicas.map((r) => ({ replica: r.replica, address: r.address, leader: view.leader?.replica === r.replica, seenMsAgo: r.seenMsAgo })),
      });
    } catch (err) {
      next(err);
    }
  });
  router.get('/readyz', (req, res) => {
    const r = ready();
    const view = clusterView(l);
    const lines = [`role: ${view.role}`, `leader: ${view.leader ? `${view.leader.replica}${view.leader.address ? ` ${view.leader.address}` : ''} (epoch ${view.leader.epoch})` : 'none'}`];
    if (!r.ok) return res.status(503).type('text/plain').send(`not ready: ${r.reason ?? 'starting'}\n${lines.join('\n')}\n`);
    if (req.query.role === 'leader' && view.role !== 'leader') return res.status(503).type('text/plain').send(`not the leader\n${lines.join('\n')}\n`);
    res.status(200).type('text/plain').send(`ready\n${lines.join('\n')}\n`);
  });
  return router;
}
