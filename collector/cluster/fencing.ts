/**
 * A command's epoch is the leader's lease epoch and the node's own epoch in one number, compared as a pair:
 * `leader * NODE_EPOCH_SPAN + node`. Exporters keep the highest epoch they have seen and refuse anything
 * lower, so a new leader (a higher lease epoch) fences every command of the leaders before it, and raising
 * a node's epoch (after its tasks moved while it was away) fences that node's older commands. Without a
 * lease (SQLite, one collector) the leader part is 0 and the epoch is the node's alone, as before.
 */
export const NODE_EPOCH_SPAN = 2 ** 20;

/** The epoch a command carries. */
export function commandEpoch(leaderEpoch: number, nodeEpoch: number): number {
  return leaderEpoch * NODE_EPOCH_SPAN + (nodeEpoch % NODE_EPOCH_SPAN);
}

/** The two parts of a command epoch. */
export function splitEpoch(epoch: number): { leader: number; node: number } {
  return { leader: Math.floor(epoch / NODE_EPOCH_SPAN), node: epoch % NODE_EPOCH_SPAN };
}
