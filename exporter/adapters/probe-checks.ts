import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { errorMessage } from '../../common/errors.js';
import type { TaskSpec } from '../config.js';
import { resolveTaskEnv } from './task-env.js';
import type { ProbeCheck, ProbeResult } from '../supervisor/liveness.js';

type Probe = NonNullable<TaskSpec['livenessProbe']>;

/** HTTP GET: any status from 200 to 399 is a success (Kubernetes httpGet); TLS is not verified, as in the kubelet. */
function httpCheck(p: NonNullable<Probe['httpGet']>): ProbeCheck {
  const client = p.scheme === 'HTTPS' ? https : http;
  return (timeoutMs) =>
    new Promise<ProbeResult>((resolve) => {
      const req = client.get(
        { host: p.host, port: p.port, path: p.path, timeout: timeoutMs, rejectUnauthorized: false, headers: { 'user-agent': 'edgewatch-probe' }, agent: false },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ ok: false, message: `GET http://${p.host}:${p.port}${p.path}: ${err.message}` }));
    });
}

/** TCP: a connection that opens within the timeout is a success. */
function tcpCheck(p: NonNullable<Probe['tcpSocket']>): ProbeCheck {
  return (timeoutMs) =>
    new Promise<ProbeResult>((resolve) => {
      const socket = net.connect({ host: p.host, port: p.port });
      const done = (r: ProbeResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => done({ ok: false, message: `dial tcp ${p.host}:${p.port}: timeout after ${timeoutMs} ms` }), timeoutMs);
      socket.once('connect', () => done({ ok: true }));
      socket.once('error', (err) => done({ ok: false, message: `dial tcp ${p.host}:${p.port}: ${err.message}` }));
    });
}

/** exec: exit code 0 within the timeout is a success; the command is killed at the timeout. */
function execCheck(p: NonNullable<Probe['exec']>, task: Pick<TaskSpec, 'env' | 'envFile'>, cwd: string | undefined): ProbeCheck {
  return (timeoutMs) =>
    new Promise<ProbeResult>((resolve) => {
      const [file, ...args] = p.command;
      let env: Record<string, string>;
      try {
        env = resolveTaskEnv(task.env, task.envFile);
      } catch (err) {
        return resolve({ ok: false, message: `exec ${file}: ${errorMessage(err)}` });
      }
      const child = spawn(file!, args, { env: { ...process.env, ...env }, cwd, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `exec ${file}: ${err.message}` });
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve({ ok: true });
        else resolve({ ok: false, message: signal === 'SIGKILL' ? `exec probe timed out after ${timeoutMs} ms` : `exec probe exited with ${code ?? signal}` });
      });
    });
}

/** Builds the probe check of a task spec, or undefined when it has no liveness probe. */
export function probeCheckFor(spec: TaskSpec): ProbeCheck | undefined {
  const p = spec.livenessProbe;
  if (!p) return undefined;
  if (p.httpGet) return httpCheck(p.httpGet);
  if (p.tcpSocket) return tcpCheck(p.tcpSocket);
  if (p.exec) return execCheck(p.exec, spec, spec.cwd);
  return undefined;
}
