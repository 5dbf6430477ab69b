import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../common/logger.js';
import type { GroupTracker } from './pid-file.js';

/**
 * The watchdog, in POSIX sh: it reads `+<pgid>` and `-<pgid>` lines from the exporter; when its stdin
 * ends (the exporter exited, however it died) it sends SIGTERM to every group still listed, waits up to
 * 2 s, then SIGKILLs what is left. It ignores the signals a terminal or a service manager sends, so it
 * outlives the exporter long enough to clean up.
 */
const SCRIPT = `trap '' INT TERM HUP QUIT
g=' '
while IFS= read -r line; do
  case $line in
    +*) g="$g\${line#+} " ;;
    -*) id=\${line#-}; case $g in *" $id "*) g="\${g%% $id *} \${g#* $id }" ;; esac ;;
  esac
done
set -- $g
[ $# -gt 0 ] || exit 0
for id in "$@"; do kill -TERM -"$id" 2>/dev/null; done
n=0
while [ $n -lt 10 ]; do
  alive=0
  for id in "$@"; do kill -0 -"$id" 2>/dev/null && alive=1; done
  [ $alive = 1 ] || exit 0
  sleep 0.2
  n=$((n + 1))
done
for id in "$@"; do kill -KILL -"$id" 2>/dev/null; done
`;

/**
 * Kills the task process groups when the exporter dies without stopping them (SIGKILL, a crash, an OOM
 * kill): tasks run in their own process groups, so nothing else would. A small `sh` process holds a pipe
 * from the exporter; the kernel closes the pipe however the exporter ends, and the watchdog then ends
 * every group it was told about. A watchdog that dies is started again and told the groups anew.
 */
export class GroupWatchdog implements GroupTracker {
  readonly name = 'group-watchdog';
  private child: ChildProcess | undefined;
  private readonly groups = new Set<number>();
  private stopping = false;
  private respawns = 0;

  constructor(
    private readonly logger: Logger,
    private readonly shell = '/bin/sh',
  ) {}

  start(): void {
    this.stopping = false;
    this.spawn();
  }

  /** Ends the watchdog's input: it kills any group still listed (none after a clean stop) and exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    await exited;
  }

  add(pgid: number | undefined): void {
    if (pgid === undefined) return;
    this.groups.add(pgid);
    this.write(`+${pgid}\n`);
  }

  remove(pgid: number | undefined): void {
    if (pgid === undefined || !this.groups.delete(pgid)) return;
    this.write(`-${pgid}\n`);
  }

  private write(line: string): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line);
  }

  private spawn(): void {
    let child: ChildProcess;
    try {
      // its own session: a signal to the exporter's process group does not reach it
      child = spawn(this.shell, ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    } catch (err) {
      this.logger.error('cannot start the task watchdog: tasks may outlive a crashed exporter', { err });
      return;
    }
    this.child = child;
    child.unref();
    // the pipe must not keep the exporter alive, and a write after the watchdog died is not an error
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    child.stdin!.on('error', () => undefined);
    child.on('error', (err) => this.logger.error('task watchdog failed', { err }));
    child.once('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.respawns++;
      this.logger.warn('task watchdog exited; starting it again', { code, signal, respawns: this.respawns });
      if (this.respawns <= 10) this.spawn();
    });
    for (const pgid of this.groups) this.write(`+${pgid}\n`);
  }
}
