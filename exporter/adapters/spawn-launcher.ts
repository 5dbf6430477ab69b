import { spawn } from 'node:child_process';
import { errorMessage } from '../../common/errors.js';
import type { Launcher, LaunchSpec, ProcessHooks, TaskProcess } from '../supervisor/launcher.js';
import { resolveTaskEnv } from './task-env.js';

/**
 * Launches tasks with child_process.spawn in their own process group (detached), so a stop reaches a
 * shell wrapper's children too. stdin is closed; stdout and stderr are piped to the log parser.
 */
export function spawnLauncher(baseEnv: NodeJS.ProcessEnv): Launcher {
  return {
    launch(spec: LaunchSpec, hooks: ProcessHooks): TaskProcess {
      let exited = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null, error?: string) => {
        if (exited) return;
        exited = true;
        hooks.onExit(error === undefined ? { code, signal } : { code, signal, error });
      };
      const [file, ...args] = spec.command;
      let env: Record<string, string>;
      try {
        env = resolveTaskEnv(spec.env, spec.envFile);
      } catch (err) {
        // reported like a binary that cannot start: the runner backs off and retries
        setImmediate(() => finish(127, null, `cannot start ${file}: ${errorMessage(err)}`));
        return { pid: undefined, kill() {} };
      }
      const child = spawn(file!, args, {
        cwd: spec.cwd,
        env: { ...baseEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      child.stdout.on('data', (chunk: Buffer) => hooks.onChunk('stdout', chunk));
      child.stderr.on('data', (chunk: Buffer) => hooks.onChunk('stderr', chunk));
      // 'close' (not 'exit') so the last output lines are delivered before the exit is reported.
      child.on('close', (code, signal) => finish(code, signal));
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined) finish(127, null, `cannot start ${file}: ${err.code ?? err.message}`);
      });
      return {
        pid: child.pid,
        kill(signal) {
          if (exited || child.pid === undefined) return;
          try {
            process.kill(-child.pid, signal);
          } catch {
            try {
              child.kill(signal);
            } catch {
              // already gone
            }
          }
        },
      };
    },
  };
}
