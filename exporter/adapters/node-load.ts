import { cpus, freemem, totalmem } from 'node:os';

/** Node-wide CPU utilisation (0..1, from os.cpus() time deltas between calls) and memory. */
export class NodeLoad {
  private last = this.totals();

  private totals(): { busy: number; total: number } {
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    return { busy, total };
  }

  /** CPU share used since the previous call (0..1), and memory used / total in bytes. */
  sample(): { cpu: number; memoryBytes: number; memoryTotalBytes: number } {
    const now = this.totals();
    const dt = now.total - this.last.total;
    const cpu = dt > 0 ? Math.min(1, Math.max(0, (now.busy - this.last.busy) / dt)) : 0;
    this.last = now;
    const total = totalmem();
    return { cpu, memoryBytes: total - freemem(), memoryTotalBytes: total };
  }
}
