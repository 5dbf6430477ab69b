import type { Launcher, LaunchSpec, ProcessExit, ProcessHooks, ProcessSample, ProcessSampler, TaskProcess } from '../../exporter/supervisor/launcher.js';

/** A process the test controls: it records signals and exits when told to. */
export class FakeProcess implements TaskProcess {
  readonly signals: NodeJS.Signals[] = [];
  exited = false;
  /** When set, the process exits as soon as it receives one of these signals. */
  dieOn = new Set<NodeJS.Signals>(['SIGKILL']);

  constructor(
    readonly pid: number,
    readonly spec: LaunchSpec,
    private readonly hooks: ProcessHooks,
  ) {}

  kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    this.signals.push(signal);
    if (this.dieOn.has(signal)) this.exit({ code: null, signal });
  }

  print(stream: 'stdout' | 'stderr', text: string): void {
    this.hooks.onChunk(stream, Buffer.from(text));
  }

  exit(exit: ProcessExit): void {
    if (this.exited) return;
    this.exited = true;
    this.hooks.onExit(exit);
  }
}

/** A launcher that hands out FakeProcesses; `processes` lists them in launch order. */
export class FakeLauncher implements Launcher {
  readonly processes: FakeProcess[] = [];
  private nextPid = 1000;
  /** SIGTERM behaviour of new processes: die at once (default) or ignore it. */
  sigtermKills = true;

  launch(spec: LaunchSpec, hooks: ProcessHooks): TaskProcess {
    const p = new FakeProcess(this.nextPid++, spec, hooks);
    if (this.sigtermKills) p.dieOn.add('SIGTERM');
    this.processes.push(p);
    return p;
  }

  get last(): FakeProcess {
    const p = this.processes.at(-1);
    if (!p) throw new Error('nothing launched yet');
    return p;
  }
}

/** A sampler whose readings the test sets per pid. */
export class FakeSampler implements ProcessSampler {
  readonly readings = new Map<number, ProcessSample>();
  sample(pid: number): ProcessSample | undefined {
    return this.readings.get(pid);
  }
}
