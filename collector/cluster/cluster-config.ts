import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * `cluster:` replicas of one collector sharing PostgreSQL (`store.url`): a leader elected by a lease in
 * the database, standbys ready to take over. Ignored with SQLite (one collector).
 */
export const clusterConfigSchema = z
  .strictObject({
    /** This replica's name in /api/cluster and `edgewatch_collector_leader{replica}`; the host name by default. */
    replica: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-"').default(hostname().slice(0, 63).replace(/[^A-Za-z0-9._-]/g, '-') || 'collector'),
    /** A lease not renewed for this long may be taken by a standby (Kubernetes' default is 15 s). */
    leaseSeconds: z.number().min(2).max(300).default(10),
    /** How often the leader renews and standbys look (Kubernetes' retry period is 2 s). */
    renewSeconds: z.number().min(0.2).max(60).default(2),
    /** This replica's API as others reach it (shown by standbys as where the leader is); http.listen by default. */
    advertiseUrl: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL, e.g. "http://collector-a:8080"').optional(),
  })
  .refine((c) => c.renewSeconds * 2 <= c.leaseSeconds, { message: 'renewSeconds must be at most half of leaseSeconds (a leader needs two tries before its lease runs out)', path: ['renewSeconds'] })
  .prefault({});

export type ClusterConfig = z.output<typeof clusterConfigSchema>;

/** `store.url`: PostgreSQL instead of SQLite. */
export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL like "postgres://edgewatch@db:5432/edgewatch"');

/** `store.schema`: the PostgreSQL schema the collector's tables live in (created if missing). */
export const postgresSchema = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier (letters, digits, "_")');
