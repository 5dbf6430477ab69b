import { z } from 'zod';
import { parseYamlConfig, readConfigFile } from '../../common/config.js';
import { finishTaskSpec, name, taskSpecSchema, type TaskSpec } from '../../protocol/task-spec.js';

/**
 * The fleet's desired tasks (`desired.file`): per node, task specs with the exporter config's keys.
 *   nodes:
 *     edge-1:
 *       - {name: web, version: "2", command: [node, server.js], env: {DB_PASSWORD: {valueFrom: {file: /etc/web/db}}}}
 */
export const desiredFileSchema = z.strictObject({
  nodes: z.record(name('node'), z.array(taskSpecSchema)).default({}),
});

/** Reads and validates the desired-state file: node → its task specs. */
export function loadDesiredFile(path: string): Map<string, TaskSpec[]> {
  const cfg = parseYamlConfig(desiredFileSchema, readConfigFile(path), path);
  return new Map(Object.entries(cfg.nodes).map(([node, specs]) => [node, specs.map(finishTaskSpec)]));
}
