import type { TaskSpec } from '../config.js';

/** Persists the history; the file adapter writes JSON atomically, tests keep it in memory. */
export interface HistoryStore {
  load(): HistoryData | undefined;
  save(data: HistoryData): void;
}

/** Per task: the specs it has run, oldest first, the current one last; `configHash` of the config-file spec. */
export interface HistoryData {
  tasks: Record<string, { configHash?: string; specs: TaskSpec[] }>;
}

/**
 * The last N specs of each task, so `rollback` has somewhere to go. A spec applied from the cloud
 * survives an exporter restart unless the operator changed that task in the config file since.
 */
export class TaskHistory {
  private data: HistoryData;

  constructor(
    private readonly store: HistoryStore,
    private readonly limit: number,
  ) {
    this.data = store.load() ?? { tasks: {} };
  }

  /**
   * The spec to run for a task declared in the config file: the last applied one when the config entry
   * is unchanged since it was applied, else the config spec (which is then recorded).
   */
  resolve(configSpec: TaskSpec, configHash: string): TaskSpec {
    const entry = this.data.tasks[configSpec.name];
    const current = entry?.specs.at(-1);
    if (entry && current && entry.configHash === configHash) return current;
    this.record(configSpec, configHash);
    return configSpec;
  }

  /** Appends a spec as the task's current one (a repeated current version is not duplicated). */
  record(spec: TaskSpec, configHash?: string): void {
    const entry = (this.data.tasks[spec.name] ??= { specs: [] });
    if (configHash !== undefined) entry.configHash = configHash;
    const specs = entry.specs.filter((s) => s.version !== spec.version);
    specs.push(spec);
    entry.specs = specs.slice(-this.limit);
    this.store.save(this.data);
  }

  /** The spec to roll back to: `version` if given, else the one before the current. */
  previous(task: string, version?: string): TaskSpec | undefined {
    const specs = this.data.tasks[task]?.specs ?? [];
    if (version !== undefined) return specs.find((s) => s.version === version);
    return specs.at(-2);
  }

  /** Versions known for a task, oldest first. */
  versions(task: string): string[] {
    return (this.data.tasks[task]?.specs ?? []).map((s) => s.version);
  }

  /** Forgets a released task. */
  forget(task: string): void {
    delete this.data.tasks[task];
    this.store.save(this.data);
  }

  /** Names of tasks that were applied from the cloud and are not in the config file. */
  extraTasks(configured: Set<string>): TaskSpec[] {
    const out: TaskSpec[] = [];
    for (const [name, entry] of Object.entries(this.data.tasks)) {
      const current = entry.specs.at(-1);
      if (!configured.has(name) && current && entry.configHash === undefined) out.push(current);
    }
    return out;
  }
}

/** A history store that keeps nothing on disk. */
export function memoryHistoryStore(): HistoryStore {
  let data: HistoryData | undefined;
  return {
    load: () => (data ? structuredClone(data) : undefined),
    save: (d) => {
      data = structuredClone(d);
    },
  };
}
