import { Gauge, type Registry } from 'prom-client';
import type { ErrorCode } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

/** What is wrong with one part of the exporter: a label from a bounded set, and a sentence saying what to fix. */
export interface Problem {
  code: ErrorCode;
  /** Bounded: an errno code (ENOSPC, EROFS, ...) or a word such as `login_refused`. */
  reason: string;
  message: string;
}

/** The parts that can degrade without stopping supervision (the last three are files in `state.dir`). */
export type Part = 'spool' | 'mqtt' | 'command_journal' | 'task_history' | 'pid_file' | 'edge_incidents';

/** Reports a part's problem, or its recovery with `undefined`. */
export type ProblemReporter = (problem: Problem | undefined) => void;

/** Error codes that become reason labels as they are; anything else is `other` (bounded label values). */
const KNOWN_REASONS = new Set(['ENOSPC', 'EROFS', 'ENOENT', 'EACCES', 'EPERM', 'EIO', 'EDQUOT', 'ENOTDIR', 'EEXIST', 'EISDIR', 'EMFILE', 'login_refused']);

/** A bounded reason label for an error: its errno code when known, else `other`. */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code && KNOWN_REASONS.has(code) ? code : 'other';
}

/**
 * The exporter's degraded parts. Supervision never waits on them: a full disk or a refused login is
 * reported here (for /readyz and `edgewatch_exporter_degraded`) while the tasks go on being supervised.
 * The log gets one line when a part's problem starts or changes and one when it recovers, however often
 * the part reports the same problem.
 */
export class Conditions {
  static readonly names = ['edgewatch_exporter_degraded'];
  private readonly problems = new Map<Part, Problem>();
  private readonly gauge: Gauge<'node' | 'component' | 'reason'>;

  constructor(
    registry: Registry,
    private readonly node: string,
    private readonly logger: Logger,
  ) {
    this.gauge = new Gauge({
      name: 'edgewatch_exporter_degraded',
      help: '1 while a part of the exporter (spool, state files, mqtt) cannot do its work, labelled with why (an errno code or login_refused); tasks stay supervised.',
      labelNames: ['node', 'component', 'reason'],
      registers: [registry],
    });
  }

  /** The reporter one part uses. */
  reporter(part: Part): ProblemReporter {
    return (problem) => this.set(part, problem);
  }

  set(part: Part, problem: Problem | undefined): void {
    const old = this.problems.get(part);
    if (old?.message === problem?.message) return;
    if (old) this.gauge.set({ node: this.node, component: part, reason: old.reason }, 0);
    if (problem) {
      this.problems.set(part, problem);
      this.gauge.set({ node: this.node, component: part, reason: problem.reason }, 1);
      this.logger.error(`${part} degraded`, { component: part, code: problem.code, reason: problem.reason, problem: problem.message });
    } else {
      this.problems.delete(part);
      this.logger.info(`${part} recovered`, { component: part, was: old!.reason });
    }
  }

  /** The problem of a part, if it has one. */
  get(part: Part): Problem | undefined {
    return this.problems.get(part);
  }

  /** Ready when no part has a problem; otherwise every problem, `part: message`, one after the other. */
  readiness(): { ok: boolean; reason?: string } {
    if (this.problems.size === 0) return { ok: true };
    return { ok: false, reason: [...this.problems].map(([part, p]) => `${part}: ${p.message}`).join('; ') };
  }
}
