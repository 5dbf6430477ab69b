import { readFileSync } from 'node:fs';
import { parseExposition, sampleValue } from '../../test/support/prom-text.js';
import { cpuSeconds, rssBytes } from '../support/proc.js';

/** One look at the collector process: its own counters and what the kernel says about it. */
export interface CollectorSample {
  at: number;
  stored: number;
  online: number;
  offline: number;
  loopP99Ms: number;
  rssMB: number;
  cpuSeconds: number;
  writeBytes: number;
}

/** Bytes the process had the kernel write to storage (`write_bytes` of /proc/<pid>/io). */
function writeBytes(pid: number): number {
  const m = /write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Samples the collector at `api` running as process `pid`: /metrics and /proc. */
export function collectorSampler(pid: number, api: string) {
  return {
    async sample(): Promise<CollectorSample> {
      const samples = parseExposition(await (await fetch(`${api}/metrics`)).text());
      return {
        at: Date.now(),
        stored: sampleValue(samples, 'edgewatch_collector_ingested_records_total', { input: 'forward' }) ?? 0,
        online: sampleValue(samples, 'edgewatch_collector_nodes', { status: 'online' }) ?? 0,
        offline: sampleValue(samples, 'edgewatch_collector_nodes', { status: 'offline' }) ?? 0,
        loopP99Ms: (sampleValue(samples, 'nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000,
        rssMB: rssBytes(pid) / 1e6,
        cpuSeconds: cpuSeconds(pid),
        writeBytes: writeBytes(pid),
      };
    },
  };
}
