import { spawnSync } from 'node:child_process';

/**
 * Whether a real external component (promtool, mosquitto, ...) can run. Under CI=true a missing one is a
 * test failure (never a silent skip); elsewhere the test is skipped with a loud message.
 */
export function requireBinary(name: string, versionArgs: string[] = ['--version'], install = 'prometheus prometheus-alertmanager mosquitto'): { skip: string | false } {
  const r = spawnSync(name, versionArgs, { stdio: 'ignore' });
  if (!r.error) return { skip: false };
  const message = `${name} is not installed (apt-get install -y ${install})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
  return { skip: message };
}
