import type { AlertSignal } from '../../common/rules/signals.js';
import type { TaskStatusWire } from '../../protocol/telemetry.js';
import type { TaskSpec } from '../../protocol/task-spec.js';

/** The alert a drift raises (the default rules page on it). */
export const SPEC_DRIFT_ALERT = 'EdgewatchSpecDrift';

/** What identifies a spec's behaviour, as far as a report shows it: env values are redacted, names are not. */
function shape(spec: { command?: unknown; envFile?: unknown; env?: unknown; cwd?: unknown }): string {
  const env = spec.env && typeof spec.env === 'object' ? spec.env : {};
  const envShape = Object.entries(env as Record<string, unknown>)
    .map(([k, v]) => [k, typeof v === 'object' && v !== null && 'valueFrom' in v ? (v as { valueFrom: unknown }).valueFrom : 'value'])
    .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return JSON.stringify([spec.command ?? null, spec.envFile ?? null, envShape]);
}

/**
 * Compares what nodes report against the specs the cloud recorded: a node reporting a task at a desired
 * version with another command or environment is a finding (a tampered node, or a forged report), raised
 * as an alert signal for the rules and resolved when the report matches again. Versions that differ are
 * not drift: a rollback or a pending update runs another version on purpose.
 */
export class SpecDrift {
  private readonly drifting = new Set<string>();

  constructor(private readonly desired: (node: string, task: string) => TaskSpec | undefined) {}

  check(node: string, tasks: readonly TaskStatusWire[], now: number): AlertSignal[] {
    const out: AlertSignal[] = [];
    for (const t of tasks) {
      const want = this.desired(node, t.name);
      const key = `${node}/${t.name}`;
      const drift = want !== undefined && t.spec !== undefined && t.version === want.version && shape(t.spec) !== shape(want);
      if (drift === this.drifting.has(key)) continue;
      if (drift) this.drifting.add(key);
      else this.drifting.delete(key);
      out.push({
        kind: 'alert',
        at: now,
        status: drift ? 'firing' : 'resolved',
        labels: { alertname: SPEC_DRIFT_ALERT, node, task: t.name },
        annotations: { summary: `${t.name} on ${node} runs version ${t.version} with another command or environment than the recorded spec` },
        fingerprint: key,
        startsAt: now,
      });
    }
    return out;
  }
}
