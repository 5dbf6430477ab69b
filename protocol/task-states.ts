/**
 * The task vocabulary both sides speak: states, why a task restarted, how a process ended, how a job run
 * went. Bounded sets, so each is also a metric label (`edgewatch_task_state{state}` and friends).
 */

/** Every state a task can be in; `edgewatch_task_state{state}` is 1 on the current one and 0 on the rest. */
export const TASK_STATES = ['pending', 'running', 'backoff', 'stopping', 'stopped', 'succeeded', 'failed', 'scheduled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Why a task was restarted (`edgewatch_task_restarts_total{reason}`); Kubernetes' container reasons where they exist. */
export const RESTART_REASONS = ['Error', 'Completed', 'OOMKilled', 'Unhealthy', 'Command', 'Updated'] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

/** Restarts edgewatch itself ordered (a command, a new spec): they say nothing about the task's health. */
export const ORDERED_RESTART_REASONS: readonly RestartReason[] = ['Command', 'Updated'];

/** How a process ended (`edgewatch_task_exits_total{outcome}`). */
export const EXIT_OUTCOMES = ['succeeded', 'failed', 'oom_killed', 'unhealthy', 'stopped', 'start_error'] as const;
export type ExitOutcome = (typeof EXIT_OUTCOMES)[number];

/** Result of one scheduled job run (`edgewatch_task_job_runs_total{result}`). */
export const JOB_RESULTS = ['succeeded', 'failed', 'skipped'] as const;
export type JobResult = (typeof JOB_RESULTS)[number];
