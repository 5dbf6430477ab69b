/**
 * The collector's pipeline model, after Alertmanager's notify.Stage: one tiny interface, `sequence`
 * (in order, each stage sees what the previous one returned) and `fanout` (in parallel, same input).
 */

/** What every stage of one run agrees on: the instant the batch entered the pipeline. */
export interface StageContext {
  readonly now: number;
}

/** One step of the pipeline; it may enrich or filter the batch and returns what the next step sees. */
export interface Stage<T> {
  readonly name: string;
  exec(ctx: StageContext, batch: T): Promise<T> | T;
}

/**
 * Runs stages one after another (Alertmanager's MultiStage) and stops as soon as a stage returns a batch
 * that `isEmpty` says holds nothing for the next one. Synchronous stages run synchronously: a batch that needs no I/O
 * goes through the whole sequence in the caller's turn of the event loop.
 */
export function sequence<T>(isEmpty: (batch: T) => boolean, ...stages: Stage<T>[]): Stage<T> {
  const from = (ctx: StageContext, batch: T, first: number): Promise<T> | T => {
    let current = batch;
    for (let i = first; i < stages.length; i++) {
      if (i > 0 && isEmpty(current)) return current;
      const next = stages[i]!.exec(ctx, current);
      if (next instanceof Promise) return next.then((b) => from(ctx, b, i + 1));
      current = next;
    }
    return current;
  };
  return {
    name: `sequence(${stages.map((s) => s.name).join(', ')})`,
    exec: (ctx, batch) => from(ctx, batch, 0),
  };
}

/** Runs stages in parallel on the same batch and passes the batch on unchanged (Alertmanager's FanoutStage). */
export function fanout<T>(...stages: Stage<T>[]): Stage<T> {
  return {
    name: `fanout(${stages.map((s) => s.name).join(', ')})`,
    exec(ctx, batch) {
      const pending = stages.map((s) => s.exec(ctx, batch)).filter((r) => r instanceof Promise);
      return pending.length === 0 ? batch : Promise.all(pending).then(() => batch);
    },
  };
}

/** A stage from a name and a function, for small steps that need no state of their own. */
export function stage<T>(name: string, exec: (ctx: StageContext, batch: T) => Promise<T> | T): Stage<T> {
  return { name, exec };
}
