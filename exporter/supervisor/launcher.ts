import type { EnvValue } from '../../protocol/task-spec.js';

/** What a launched task process looks like to the supervisor; the child_process adapter implements it. */
export interface TaskProcess {
  readonly pid: number | undefined;
  /** Signals the task's whole process group. */
  kill(signal: NodeJS.Signals): void;
}

/** How a process ended: an exit code, a signal, or an error that prevented it from running. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
}

export type OutputStream = 'stdout' | 'stderr';

/** Callbacks a launched process reports through. `onChunk` gets raw output bytes; `onExit` fires exactly once. */
export interface ProcessHooks {
  onChunk(stream: OutputStream, chunk: Buffer): void;
  onExit(exit: ProcessExit): void;
}

/** What to run. */
export interface LaunchSpec {
  command: string[];
  /** Literals, and secrets the launcher reads on the node. */
  env: Record<string, EnvValue>;
  envFile?: string;
  cwd?: string;
}

/** Starts task processes. */
export interface Launcher {
  launch(spec: LaunchSpec, hooks: ProcessHooks): TaskProcess;
}

/** Resource usage of a process tree, read from /proc by the adapter. */
export interface ProcessSample {
  rssBytes: number;
  cpuSeconds: number;
}

/** Reads resource usage of a process and its descendants; undefined when the process is gone. */
export interface ProcessSampler {
  sample(pid: number): ProcessSample | undefined;
}
