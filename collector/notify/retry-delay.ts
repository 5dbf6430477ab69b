/**
 * Wait before the next attempt after `failures` failed ones: `initialMs` doubling per failure, ±20 %
 * jitter so a fleet of deliveries that failed together does not retry together, never above `maxMs`.
 * `random` returns [0, 1); 0.5 gives the exact doubling.
 */
export function retryDelayMs(failures: number, initialMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random())));
}
