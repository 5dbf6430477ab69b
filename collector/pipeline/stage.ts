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

/** Runs stages one after another (Alertmanager's MultiStage). */
export function sequence<T>(...stages: Stage<T>[]): Stage<T> {
  return {
    name: `sequence(${stages.map((s) => s.name).join(', ')})`,
    async exec(ctx, batch) {
      let current = batch;
      for (const stage of stages) current = await stage.exec(ctx, current);
      return current;
    },
  };
}

/** Runs stages in parallel on the same batch and passes the batch on unchanged (Alertmanager's FanoutStage). */
export function fanout<T>(...stages: Stage<T>[]): Stage<T> {
  return {
    name: `fanout(${stages.map((s) => s.name).join(', ')})`,
    async exec(ctx, batch) {
      await Promise.all(stages.map((s) => s.exec(ctx, batch)));
      return batch;
    },
  };
}

/** A stage from a name and a function, for small steps that need no state of their own. */
export function stage<T>(name: string, exec: (ctx: StageContext, batch: T) => Promise<T> | T): Stage<T> {
  return { name, exec };
}
