import { testSchema, type TestSchema } from '../../test/support/postgres.js';

/** A store a bench runs the collector on: SQLite (the baseline) or PostgreSQL. */
export type BenchStore = 'sqlite' | 'postgres';

/** `--stores sqlite,postgres` (or BENCH_STORES): which stores to measure, SQLite first as the baseline. */
export function benchStores(flag: string | undefined): BenchStore[] {
  const list = (flag ?? process.env.BENCH_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) if (s !== 'sqlite' && s !== 'postgres') throw new Error(`--stores: "${s}" is not sqlite or postgres`);
  return list as BenchStore[];
}

/** The collector's `store:` YAML for a bench run, and what to clean up after it (a schema of its own on PostgreSQL). */
export async function storeYaml(kind: BenchStore, sqlitePath: string): Promise<{ yaml: string; schema?: TestSchema; cleanup(): Promise<void> }> {
  if (kind === 'sqlite') return { yaml: `store: {path: ${JSON.stringify(sqlitePath)}}`, cleanup: async () => undefined };
  const schema = await testSchema();
  return { yaml: `store: {url: "${schema.url}", schema: ${schema.schema}, path: ${JSON.stringify(sqlitePath)}}`, schema, cleanup: () => schema.drop() };
}
