import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { requireBinary } from './components.js';
import { freePort } from './ports.js';
import { eventually } from './wait.js';

function mosquittoPasswd(file: string, user: string, password: string): void {
  const r = spawnSync('mosquitto_passwd', ['-b', file, user, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mosquitto_passwd: ${r.stderr || r.error?.message}`);
}

/** The shared Mosquitto the machine runs on 127.0.0.1:1883 (CI uses the same one). */
export const SHARED_MOSQUITTO = 'mqtt://127.0.0.1:1883';

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Whether the shared broker answers; under CI=true its absence fails the test, elsewhere it skips loudly. */
export async function sharedMosquitto(): Promise<{ skip: string | false }> {
  if (await listening(1883)) return { skip: false };
  const message = 'no MQTT broker on 127.0.0.1:1883 (start it: mosquitto -d -c /etc/mosquitto/mosquitto.conf)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
  return { skip: message };
}

/**
 * A Mosquitto of the test's own (for tests that restart the broker), with persistence on so sessions and
 * queued QoS 1 messages survive a restart, listening on a free port.
 */
export class OwnMosquitto {
  private child: ChildProcess | undefined;
  readonly url: string;

  private constructor(
    readonly port: number,
    private readonly conf: string,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  /**
   * With `passwords` (user name → password), anonymous clients are refused and the users are written to a
   * password file with mosquitto_passwd ({@link setPassword} changes one later).
   */
  static async create(dir: string, extraConfig: string[] = [], passwords?: Record<string, string>): Promise<OwnMosquitto | { skip: string }> {
    const bin = requireBinary('mosquitto', ['-h']);
    if (bin.skip) return { skip: bin.skip };
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    const auth = passwords ? ['allow_anonymous false', `password_file ${join(dir, 'passwd')}`] : ['allow_anonymous true'];
    if (passwords) {
      writeFileSync(join(dir, 'passwd'), '');
      for (const [user, password] of Object.entries(passwords)) mosquittoPasswd(join(dir, 'passwd'), user, password);
    }
    // `user`: started as root, Mosquitto drops to user "mosquitto", which cannot write the test's folder
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, ...auth, 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1', `user ${userInfo().username}`, 'log_dest none', ...extraConfig, ''].join('\n'),
    );
    const m = new OwnMosquitto(port, conf);
    await m.start();
    return m;
  }

  /** Sets a user's password in the password file and has Mosquitto reload it (SIGHUP). */
  setPassword(user: string, password: string): void {
    mosquittoPasswd(join(dirname(this.conf), 'passwd'), user, password);
    this.child?.kill('SIGHUP');
  }

  async start(): Promise<void> {
    this.child = spawn('mosquitto', ['-c', this.conf], { stdio: 'ignore' });
    await eventually('mosquitto to listen', () => listening(this.port));
  }

  /** SIGTERM: Mosquitto saves its persistence file on a clean exit. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
}
