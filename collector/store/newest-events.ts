import { compareEventTime, type Event } from '../events/event.js';

/**
 * Keeps the newest `limit` events seen across blocks read newest-first. Blocks overlap in time (an edge
 * node drains its backlog after an outage), so a block is skipped only when its newest event is older
 * than the oldest event already kept.
 */
export class NewestEvents {
  private kept: Event[] = [];

  constructor(private readonly limit: number) {}

  /** True once no block whose newest event is at `blockMaxMs` can change the result. */
  done(blockMaxMs: number): boolean {
    if (this.kept.length < this.limit) return false;
    this.trim();
    return blockMaxMs < this.kept[this.kept.length - 1]!.timeMs;
  }

  add(event: Event): void {
    this.kept.push(event);
    if (this.kept.length >= this.limit * 2) this.trim();
  }

  /** The kept events in ascending time order. */
  result(): Event[] {
    this.trim();
    return this.kept.reverse();
  }

  private trim(): void {
    this.kept.sort((a, b) => compareEventTime(b, a));
    if (this.kept.length > this.limit) this.kept.length = this.limit;
  }
}
