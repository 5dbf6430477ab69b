/**
 * The lease row, decided by the database's clock: a holder renews while its lease is unexpired by
 * `now()`; anyone may take it once `renewed_at + duration` is past. The epoch (fencing token) grows by one
 * on every change of holder and never otherwise. Concurrent takers serialise on the row lock, and the
 * loser's WHERE is re-checked against the winner's fresh row, so exactly one wins.
 */
export const ACQUIRE_SQL = `
INSERT INTO leader_lease AS l (name, holder, replica, address, epoch, acquired_at, renewed_at, duration_ms)
VALUES ($1, $2, $3, $4, 1, now(), now(), $5)
ON CONFLICT (name) DO UPDATE SET
  holder = excluded.holder,
  replica = excluded.replica,
  address = excluded.address,
  epoch = CASE WHEN l.holder = excluded.holder THEN l.epoch ELSE l.epoch + 1 END,
  acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE now() END,
  renewed_at = now(),
  duration_ms = excluded.duration_ms
WHERE l.holder = excluded.holder OR l.renewed_at + l.duration_ms * interval '1 millisecond' <= now()
RETURNING epoch, acquired_at`;

/** Who holds the lease, and for how much longer by the database's clock. */
export const CURRENT_SQL = `
SELECT holder, replica, address, epoch, acquired_at, renewed_at, duration_ms,
       (extract(epoch FROM (renewed_at + duration_ms * interval '1 millisecond' - now())) * 1000)::float8 AS expires_in_ms
FROM leader_lease WHERE name = $1`;

/** A leader that stops gives the lease up, so a standby need not wait for it to expire. */
export const RELEASE_SQL = `UPDATE leader_lease SET renewed_at = '-infinity' WHERE name = $1 AND holder = $2`;

/** Every replica says it is alive (for GET /api/cluster). */
export const SEEN_SQL = `
INSERT INTO cluster_replicas (replica, holder, address, seen_at) VALUES ($1, $2, $3, now())
ON CONFLICT (replica) DO UPDATE SET holder = excluded.holder, address = excluded.address, seen_at = now()`;

/** Replicas seen within the last `$1` ms, with how long ago. */
export const REPLICAS_SQL = `
SELECT replica, holder, address, (extract(epoch FROM (now() - seen_at)) * 1000)::float8 AS seen_ms_ago
FROM cluster_replicas WHERE seen_at > now() - $1 * interval '1 millisecond' ORDER BY replica`;
