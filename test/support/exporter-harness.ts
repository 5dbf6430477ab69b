import { createLogger, silentLogger } from '../../common/logger.js';
import { loadExporterConfig } from '../../exporter/config.js';
import { startExporter, type RunningExporter } from '../../exporter/main.js';
import { tempDir } from './paths.js';

/**
 * Starts an in-process exporter from YAML text, with http on an ephemeral port and state in a temp dir.
 * `${STATE}` in the text is replaced by the temp dir. Set EDGEWATCH_TEST_LOGS=1 to see its logs.
 */
export async function startTestExporter(yaml: string): Promise<{ exporter: RunningExporter; url: string; dir: string; stop(): Promise<void> }> {
  const tmp = tempDir('edgewatch-exporter-');
  const text = `http:\n  listen: "127.0.0.1:0"\nstate:\n  dir: ${tmp.dir}/state\nspool:\n  dir: ${tmp.dir}/spool\n${yaml.replaceAll('${STATE}', tmp.dir)}`;
  const config = loadExporterConfig(text, 'test', 'test-node');
  const logger = process.env.EDGEWATCH_TEST_LOGS ? createLogger({ level: 'debug' }) : silentLogger;
  const exporter = await startExporter(config, { logger, env: process.env });
  return {
    exporter,
    url: `http://127.0.0.1:${exporter.port}`,
    dir: tmp.dir,
    async stop() {
      await exporter.stop();
      tmp.cleanup();
    },
  };
}
