import { Counter, Gauge, Registry, Summary } from 'prom-client';

interface Family {
  type: string;
  help: string;
  series: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

function parse(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [name, ...help] = line.slice(7).split(' ');
      current = { type: 'untyped', help: help.join(' ') || name!, series: [] };
      families.set(name!, current);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, type] = line.slice(7).split(' ');
      if (current) current.type = type!;
      continue;
    }
    if (!line || line.startsWith('#') || !current) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    current.series.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return families;
}

/**
 * A bare prom-client Registry holding the same series as an exposition: counters and gauges with their
 * values, summaries (sliding window like the exporter's) fed `observe(count)` samples from `sample()`.
 */
export function bareRegistryLike(text: string, sample: () => number, maxObservations = 5000): Registry {
  const registry = new Registry();
  for (const [name, fam] of parse(text)) {
    const registers = [registry];
    if (fam.type === 'summary') {
      const counts = fam.series.filter((s) => s.name === `${name}_count`);
      const labelNames = Object.keys(counts[0]?.labels ?? {});
      const summary = new Summary({ name, help: fam.help, labelNames, percentiles: [0.5, 0.9, 0.95, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers });
      for (const c of counts) for (let i = 0; i < Math.min(c.value, maxObservations); i++) summary.observe(c.labels, sample());
      continue;
    }
    const labelNames = Object.keys(fam.series[0]?.labels ?? {});
    if (fam.type === 'counter') {
      const counter = new Counter({ name, help: fam.help, labelNames, registers });
      for (const s of fam.series) counter.inc(s.labels, s.value);
    } else if (fam.type === 'gauge' || fam.type === 'untyped') {
      const gauge = new Gauge({ name, help: fam.help, labelNames, registers });
      for (const s of fam.series) gauge.set(s.labels, s.value);
    }
    // histograms (nodejs_gc_duration_seconds) are rebuilt as gauges of their bucket samples:
    else {
      const gauge = new Gauge({ name: `${name}_bucket_like`, help: fam.help, labelNames: [...new Set(fam.series.flatMap((s) => Object.keys(s.labels)))], registers });
      for (const s of fam.series) gauge.set(s.labels, s.value);
    }
  }
  return registry;
}
