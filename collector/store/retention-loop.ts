import { every, type Clock, type Timers } from '../../common/clock.js';
import { errorOnChange, type Logger } from '../../common/logger.js';
import type { EventStore, RetentionResult } from './event-store.js';

/** Runs the store's retention every `intervalMs`; a failing pass is logged (once per distinct error) and retried next time. */
export class RetentionLoop {
  readonly name = 'retention';
  private stopTimer: (() => void) | undefined;
  private readonly failed: ReturnType<typeof errorOnChange>;

  constructor(
    private readonly store: Pick<EventStore, 'retain'>,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly onDeleted: (result: RetentionResult) => void,
    private readonly logger: Logger,
  ) {
    this.failed = errorOnChange(logger, 'retention pass failed');
  }

  start(): void {
    this.runOnce();
    this.stopTimer = every(this.timers, this.intervalMs, () => this.runOnce(), this.failed);
  }

  stop(): void {
    this.stopTimer?.();
  }

  /** One retention pass; never throws. */
  runOnce(): void {
    try {
      const result = this.store.retain(this.clock.now());
      this.onDeleted(result);
      if (result.age + result.size > 0) this.logger.info('retention deleted records', { ...result });
      this.failed.ok();
    } catch (err) {
      this.failed(err);
    }
  }
}
