import { Counter, Gauge, type Registry } from 'prom-client';
import { codeClass } from '../../protocol/log-record.js';
import { EXIT_OUTCOMES, JOB_RESULTS, RESTART_REASONS, TASK_STATES, type ExitOutcome, type JobResult, type RestartReason, type TaskState } from '../../protocol/task-states.js';
import { WindowSummary } from './window-summary.js';

export const QUANTILES = [0.5, 0.9, 0.95, 0.99];

/** Per-task series handles, resolved once so the per-line hot path does no label hashing. */
const CODE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** What a task's lines added since the last scrape, per counter. */
type LineCounts = Record<'stdout' | 'stderr' | 'parseErrors' | (typeof CODE_CLASSES)[number], number>;

export interface TaskSeries {
  readonly task: string;
  lineStdout(): void;
  lineStderr(): void;
  parseError(): void;
  request(status: number | undefined, durationMs: number | undefined): void;
}

/** Sliding-window settings of the summaries. */
export interface SummaryWindow {
  maxAgeSeconds: number;
  ageBuckets: number;
  /** Epoch ms, from the injected clock. */
  now: () => number;
}

/**
 * The task metrics of DESIGN.md ("Metrics"), every series labelled node and task, declared on the
 * exporter's own registry. Label values come only from the bounded sets above and configured task names.
 */
export class TaskMetrics {
  static readonly names = [
    'edgewatch_task_starts_total',
    'edgewatch_task_restarts_total',
    'edgewatch_task_exits_total',
    'edgewatch_task_requests_total',
    'edgewatch_task_log_lines_total',
    'edgewatch_task_log_parse_errors_total',
    'edgewatch_task_probe_failures_total',
    'edgewatch_task_cpu_seconds_total',
    'edgewatch_task_job_runs_total',
    'edgewatch_task_up',
    'edgewatch_task_state',
    'edgewatch_task_version_info',
    'edgewatch_task_memory_bytes',
    'edgewatch_task_restart_backoff_seconds',
    'edgewatch_task_request_duration_seconds',
    'edgewatch_task_run_duration_seconds',
  ];

  private readonly starts: Counter<'node' | 'task'>;
  private readonly restarts: Counter<'node' | 'task' | 'reason'>;
  private readonly exits: Counter<'node' | 'task' | 'outcome'>;
  private readonly requests: Counter<'node' | 'task' | 'code_class'>;
  private readonly lines: Counter<'node' | 'task' | 'stream'>;
  private readonly parseErrors: Counter<'node' | 'task'>;
  private readonly probeFailures: Counter<'node' | 'task'>;
  private readonly cpu: Counter<'node' | 'task'>;
  private readonly jobRuns: Counter<'node' | 'task' | 'result'>;
  private readonly up: Gauge<'node' | 'task'>;
  private readonly state: Gauge<'node' | 'task' | 'state'>;
  private readonly versionInfo: Gauge<'node' | 'task' | 'version'>;
  private readonly memory: Gauge<'node' | 'task'>;
  private readonly backoff: Gauge<'node' | 'task'>;
  private readonly duration: WindowSummary<'node' | 'task'>;
  private readonly runDuration: WindowSummary<'node' | 'task'>;
  private readonly versions = new Map<string, string>();
  private readonly seriesByTask = new Map<string, TaskSeries>();
  private readonly pendingCounts = new Map<string, { flush(): void }>();

  constructor(
    registry: Registry,
    private readonly node: string,
    window: SummaryWindow,
  ) {
    const registers = [registry];
    const nt = ['node', 'task'] as const;
    this.starts = new Counter({ name: 'edgewatch_task_starts_total', help: 'Processes started for the task.', labelNames: nt, registers });
    this.restarts = new Counter({
      name: 'edgewatch_task_restarts_total',
      help: 'Restarts of the task by reason (Error, Completed, OOMKilled, Unhealthy, Command, Updated).',
      labelNames: [...nt, 'reason'],
      registers,
    });
    this.exits = new Counter({
      name: 'edgewatch_task_exits_total',
      help: 'Process exits by outcome (succeeded, failed, oom_killed, unhealthy, stopped, start_error).',
      labelNames: [...nt, 'outcome'],
      registers,
    });
    // the per-line counters are counted in plain numbers and handed to prom-client when a scrape (or a read)
    // collects them: a labelled inc() hashes its labels, twice per line at thousands of lines a second
    const collect = () => this.flushLineCounts();
    this.requests = new Counter({
      name: 'edgewatch_task_requests_total',
      help: 'Requests the task logged, by HTTP status class (from the status field of its log lines).',
      labelNames: [...nt, 'code_class'],
      registers,
      collect,
    });
    this.lines = new Counter({ name: 'edgewatch_task_log_lines_total', help: 'Output lines by stream.', labelNames: [...nt, 'stream'], registers, collect });
    this.parseErrors = new Counter({
      name: 'edgewatch_task_log_parse_errors_total',
      help: 'Output lines that did not match the task log format (kept as text) or were truncated.',
      labelNames: nt,
      registers,
      collect,
    });
    this.probeFailures = new Counter({ name: 'edgewatch_task_probe_failures_total', help: 'Failed liveness probes.', labelNames: nt, registers });
    this.cpu = new Counter({ name: 'edgewatch_task_cpu_seconds_total', help: 'CPU time of the task process tree (user+system, from /proc).', labelNames: nt, registers });
    this.jobRuns = new Counter({
      name: 'edgewatch_task_job_runs_total',
      help: 'Scheduled job runs by result (succeeded, failed after backoffLimit retries, skipped because the previous run was still going).',
      labelNames: [...nt, 'result'],
      registers,
    });
    this.up = new Gauge({ name: 'edgewatch_task_up', help: '1 when the task process is running, else 0.', labelNames: nt, registers });
    this.state = new Gauge({ name: 'edgewatch_task_state', help: '1 on the task current state, 0 on the others.', labelNames: [...nt, 'state'], registers });
    this.versionInfo = new Gauge({ name: 'edgewatch_task_version_info', help: 'The running spec version of the task (value always 1).', labelNames: [...nt, 'version'], registers });
    this.memory = new Gauge({ name: 'edgewatch_task_memory_bytes', help: 'Resident memory of the task process tree (from /proc).', labelNames: nt, registers });
    this.backoff = new Gauge({ name: 'edgewatch_task_restart_backoff_seconds', help: 'Current restart delay of the task (0 when running).', labelNames: nt, registers });
    const summary = { percentiles: QUANTILES, maxAgeSeconds: window.maxAgeSeconds, ageBuckets: window.ageBuckets, labelNames: nt, registers, now: window.now };
    this.duration = new WindowSummary({ name: 'edgewatch_task_request_duration_seconds', help: 'Request durations the task logged (duration_ms), sliding window.', ...summary });
    this.runDuration = new WindowSummary({ name: 'edgewatch_task_run_duration_seconds', help: 'Duration of job runs, sliding window.', ...summary });
  }

  /** The task's hot-path handles, creating its series (at zero) on first use. */
  series(task: string): TaskSeries {
    let s = this.seriesByTask.get(task);
    if (!s) {
      s = this.register(task);
      this.seriesByTask.set(task, s);
    }
    return s;
  }

  private register(task: string): TaskSeries {
    const l = { node: this.node, task };
    // Every bounded label value starts at 0, so rate() and absent-series alerts work from the first scrape.
    this.starts.labels(l).inc(0);
    for (const reason of RESTART_REASONS) this.restarts.labels({ ...l, reason }).inc(0);
    for (const outcome of EXIT_OUTCOMES) this.exits.labels({ ...l, outcome }).inc(0);
    this.probeFailures.labels(l).inc(0);
    this.cpu.labels(l).inc(0);
    this.up.labels(l).set(0);
    this.memory.labels(l).set(0);
    this.backoff.labels(l).set(0);
    this.setState(task, 'pending');
    const stdout = this.lines.labels({ ...l, stream: 'stdout' });
    const stderr = this.lines.labels({ ...l, stream: 'stderr' });
    const parseErrors = this.parseErrors.labels(l);
    const duration = this.duration.labels(l);
    const byClass = (code_class: string) => {
      const child = this.requests.labels({ ...l, code_class });
      child.inc(0);
      return child;
    };
    const classes = { '1xx': byClass('1xx'), '2xx': byClass('2xx'), '3xx': byClass('3xx'), '4xx': byClass('4xx'), '5xx': byClass('5xx') };
    stdout.inc(0);
    stderr.inc(0);
    parseErrors.inc(0);
    const counts: LineCounts = { stdout: 0, stderr: 0, parseErrors: 0, '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    this.pendingCounts.set(task, {
      flush() {
        if (counts.stdout) stdout.inc(counts.stdout);
        if (counts.stderr) stderr.inc(counts.stderr);
        if (counts.parseErrors) parseErrors.inc(counts.parseErrors);
        for (const c of CODE_CLASSES) if (counts[c]) classes[c].inc(counts[c]);
        for (const k in counts) counts[k as keyof LineCounts] = 0;
      },
    });
    return {
      task,
      lineStdout: () => void counts.stdout++,
      lineStderr: () => void counts.stderr++,
      parseError: () => void counts.parseErrors++,
      request(status, durationMs) {
        if (status !== undefined) counts[codeClass(status)]++;
        if (durationMs !== undefined) duration.observe(durationMs / 1000);
      },
    };
  }

  /** Hands the per-line counts of every task to their counters (before a scrape renders them). */
  private flushLineCounts(): void {
    for (const p of this.pendingCounts.values()) p.flush();
  }

  /** Drops every series of a task that is no longer configured (label values come from the bounded sets). */
  unregister(task: string): void {
    const l = { node: this.node, task };
    for (const m of [this.starts, this.parseErrors, this.probeFailures, this.cpu, this.up, this.memory, this.backoff, this.duration, this.runDuration]) m.remove(l);
    for (const reason of RESTART_REASONS) this.restarts.remove({ ...l, reason });
    for (const outcome of EXIT_OUTCOMES) this.exits.remove({ ...l, outcome });
    for (const code_class of ['1xx', '2xx', '3xx', '4xx', '5xx']) this.requests.remove({ ...l, code_class });
    for (const stream of ['stdout', 'stderr']) this.lines.remove({ ...l, stream });
    for (const result of JOB_RESULTS) this.jobRuns.remove({ ...l, result });
    for (const state of TASK_STATES) this.state.remove({ ...l, state });
    const version = this.versions.get(task);
    if (version !== undefined) this.versionInfo.remove({ ...l, version });
    this.versions.delete(task);
    this.seriesByTask.delete(task);
    this.pendingCounts.delete(task);
  }

  started(task: string): void {
    this.starts.inc({ node: this.node, task });
    this.up.set({ node: this.node, task }, 1);
    this.backoff.set({ node: this.node, task }, 0);
  }

  exited(task: string, outcome: ExitOutcome): void {
    this.exits.inc({ node: this.node, task, outcome });
    this.up.set({ node: this.node, task }, 0);
    this.memory.set({ node: this.node, task }, 0);
  }

  setBackoff(task: string, delayMs: number): void {
    this.backoff.set({ node: this.node, task }, delayMs / 1000);
  }

  restarted(task: string, reason: RestartReason): void {
    this.restarts.inc({ node: this.node, task, reason });
  }

  setState(task: string, state: TaskState): void {
    for (const s of TASK_STATES) this.state.set({ node: this.node, task, state: s }, s === state ? 1 : 0);
  }

  setVersion(task: string, version: string): void {
    const old = this.versions.get(task);
    if (old === version) return;
    if (old !== undefined) this.versionInfo.remove({ node: this.node, task, version: old });
    this.versionInfo.set({ node: this.node, task, version }, 1);
    this.versions.set(task, version);
  }

  probeFailed(task: string): void {
    this.probeFailures.inc({ node: this.node, task });
  }

  sampled(task: string, rssBytes: number, cpuDeltaSeconds: number): void {
    this.memory.set({ node: this.node, task }, rssBytes);
    if (cpuDeltaSeconds > 0) this.cpu.inc({ node: this.node, task }, cpuDeltaSeconds);
  }

  /** Creates a job's run counters at zero (services have none). */
  registerJob(task: string): void {
    for (const result of JOB_RESULTS) this.jobRuns.labels({ node: this.node, task, result }).inc(0);
  }

  jobRun(task: string, result: JobResult, durationMs?: number): void {
    this.jobRuns.inc({ node: this.node, task, result });
    if (durationMs !== undefined) this.runDuration.observe({ node: this.node, task }, durationMs / 1000);
  }
}
