/** Best time of `passes` runs of `fn`, in ms: the run least disturbed by the rest of the machine. */
export function bestOf(passes: number, fn: () => unknown): number {
  let best = Infinity;
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
