import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import type { EdgeIncident } from '../../protocol/edge-incident.js';
import { writeFileAtomic } from '../adapters/atomic-file.js';
import { readJsonLines } from '../adapters/json-lines.js';
import { reasonOf, type ProblemReporter } from '../health/conditions.js';

/** A local incident with what the node needs to carry it on: its place on the ladder and what was shipped. */
export interface LocalIncident extends EdgeIncident {
  /** The local ladder (restart, rollback) and the index of the current step. */
  ladder: Array<'restart' | 'rollback'>;
  step: number;
  ruleFiring: boolean;
  verifyUntil?: number;
  retryAt?: number;
  /** The highest revision the collector acknowledged (its PUBACK); -1 before the first. */
  shippedRev: number;
}

/** Incidents kept after they are closed and shipped, for the console of a node without a link. */
const KEEP_CLOSED = 50;

/**
 * Local incidents in `<state>/edge-incidents.jsonl`, next to the command journal: each change appends the
 * whole incident and is fsynced, so an incident and its actions survive a crash or a power cut and are
 * shipped once the link returns. At start the file is compacted to the newest revision of each incident.
 */
export class IncidentJournal {
  private readonly path: string;
  private readonly incidents = new Map<string, LocalIncident>();
  private fd: number | undefined;

  constructor(
    dir: string,
    private readonly report: ProblemReporter = () => undefined,
  ) {
    this.path = join(dir, 'edge-incidents.jsonl');
    // a torn last line from a crash is skipped: the revision before it stands
    const journal = readJsonLines(this.path);
    for (const v of journal.values) {
      const i = v as LocalIncident;
      const known = this.incidents.get(i.id);
      if (typeof i.id === 'string' && (!known || known.rev <= i.rev)) this.incidents.set(i.id, i);
    }
    // nothing is written until there is something to keep: a node without edge rules leaves no file
    if (journal.found) this.compact();
  }

  /** Every incident held, oldest first. */
  all(): LocalIncident[] {
    return [...this.incidents.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Incidents still open (firing, remediating, or escalated while the rule fires). */
  open(): LocalIncident[] {
    return this.all().filter((i) => i.status === 'firing' || i.status === 'remediating' || (i.status === 'escalated' && i.ruleFiring));
  }

  /** Incidents with a revision the collector has not acknowledged. */
  unshipped(): LocalIncident[] {
    return this.all().filter((i) => i.shippedRev < i.rev);
  }

  /** Records a change: bumps the revision and appends it durably. */
  save(i: LocalIncident): void {
    i.rev++;
    this.incidents.set(i.id, i);
    this.append(i);
  }

  /** The collector acknowledged revision `rev` of an incident. */
  shipped(id: string, rev: number): void {
    const i = this.incidents.get(id);
    if (!i || i.shippedRev >= rev) return;
    i.shippedRev = rev;
    this.append(i);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(i: LocalIncident): void {
    try {
      if (this.fd === undefined) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, 'a');
      }
      writeSync(this.fd, `${JSON.stringify(i)}\n`);
      fsyncSync(this.fd);
      this.report(undefined);
    } catch (err) {
      this.close(); // opened afresh by the next change, which writes the whole incident again
      this.failed(err);
    }
  }

  /** Keeps the newest revision of each incident, dropping closed and shipped ones beyond {@link KEEP_CLOSED}. */
  private compact(): void {
    const closed = this.all().filter((i) => (i.status === 'resolved' || i.status === 'escalated') && i.shippedRev >= i.rev);
    for (const i of closed.slice(0, Math.max(0, closed.length - KEEP_CLOSED))) this.incidents.delete(i.id);
    try {
      writeFileAtomic(this.path, this.all().map((i) => `${JSON.stringify(i)}\n`).join(''));
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    this.report({ code: 'EW_STATE_WRITE', reason: reasonOf(err), message: `state.dir: cannot write ${this.path} (${errorMessage(err)}); local incidents are kept in memory only` });
  }
}
