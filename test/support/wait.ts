/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs` with
 * `what` and the last value seen. Used for state visible only from outside (a scrape, a file, a process).
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

/** Resolves on the next `event` of `emitter`. */
export function once<T = unknown>(emitter: { once(event: string, fn: (v: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}
