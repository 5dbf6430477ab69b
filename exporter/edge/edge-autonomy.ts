import { randomUUID, type KeyObject } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock, Timers } from '../../common/clock.js';
import { periodic, type Component } from '../../common/lifecycle.js';
import { errorOnChange, type Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import { Guardrails } from '../../common/remediation/guardrails.js';
import { loadRulesFile } from '../../common/rules/rule-file.js';
import type { Command } from '../../protocol/commands.js';
import { topics } from '../../protocol/topics.js';
import type { ExporterConfig } from '../config.js';
import type { ProblemReporter } from '../health/conditions.js';
import type { LineTap } from '../logs/pipeline.js';
import type { TaskObserver } from '../supervisor/observer.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { CloudCommands } from './cloud-commands.js';
import { CloudLink } from './cloud-link.js';
import { edgeGuardrailOptions } from './edge-config.js';
import { EdgeMetrics } from './edge-metrics.js';
import { EdgeRemediator } from './edge-remediator.js';
import { EdgeRules, type RuleSetInfo } from './edge-rules.js';
import { IncidentJournal } from './incident-journal.js';
import { IncidentShipper } from './incident-shipper.js';
import { pinnedInfo, RuleSetStore, type RuleSetOutcome } from './rule-set-store.js';

/** What edge autonomy needs from the rest of the exporter. */
export interface EdgeAutonomyDeps {
  bus: MessageBus | undefined;
  /** Trusted keys (commands.publicKeyFile): rule sets are signed with the command key. */
  keys: Map<string, KeyObject>;
  clock: Clock & Timers;
  registry: Registry;
  logger: Logger;
  supervisor: () => Supervisor;
  problem: ProblemReporter;
  /** The link's last measured round trip (heartbeat PUBACK), ms. */
  latencyMs(): number | undefined;
  /** Sends a heartbeat now (so the collector learns a new rule set version at once). */
  heartbeat(): void;
}

/** The edge rules wired into the exporter: a tap for log lines, an observer for task events, a component. */
export interface EdgeAutonomy {
  tap: LineTap;
  observer: TaskObserver;
  /** Commands from the cloud as the executor handles them: a cloud action under way wins over a local one. */
  commandSeen(cmd: Command | undefined, status: string): void;
  ruleSet(): RuleSetInfo;
  component: Component;
}

/**
 * Edge autonomy (docs/edge-autonomy.md): the rule engine on the node's own lines and task events, the
 * local ladder through the shared guardrails, local incidents journaled in state.dir and shipped when
 * the link returns, and the signed edge rule set (or a pinned rules.file). Undefined when `rules.enabled`
 * is false.
 */
export function createEdgeAutonomy(config: ExporterConfig, deps: EdgeAutonomyDeps): EdgeAutonomy | undefined {
  const cfg = config.rules;
  if (!cfg.enabled) return undefined;
  const { clock, bus } = deps;
  const node = config.node;
  const log = deps.logger.child({ component: 'edge-rules' });
  const store = new RuleSetStore(config.state.dir, deps.keys, cfg.file !== undefined, log);
  const journal = new IncidentJournal(config.state.dir, deps.problem);
  const link = new CloudLink(bus);
  const cloud = new CloudCommands(() => clock.now());
  const supervisor = deps.supervisor;
  const rules = new EdgeRules(node, (ts) => {
    const now = clock.now();
    for (const t of ts) remediator.onTransition(t, now);
  }, (task) => (supervisor().has(task) ? supervisor().status(task).restarts : 0));
  const shipper = new IncidentShipper(bus, journal, link, node, clock, deps.latencyMs, log);
  const metrics = new EdgeMetrics(deps.registry, node, { open: () => journal.open().length, ruleSet: () => rules.info, linkUp: () => link.up });
  const remediator: EdgeRemediator = new EdgeRemediator(
    journal,
    new Guardrails(edgeGuardrailOptions(cfg), clock.now()),
    {
      act: async (type, task) => {
        // never inside the supervisor's own call: a crash loop fires while the runner is launching the next
        // process, and replacing the spec under it would start a second one
        await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 0));
        if (type === 'restart') await supervisor().restartTask(task);
        else return { version: await supervisor().rollback(task) };
        return { version: supervisor().currentSpec(task)?.version };
      },
      taskRunning: (task) => supervisor().has(task) && supervisor().status(task).state === 'running',
      taskCount: () => supervisor().list().length,
      linkUp: () => link.up,
      cloudCommand: (task, withinMs) => cloud.recent(task, withinMs),
      forgetRule: (rule, key) => rules.forget(rule, key),
      recentLogs: (task) => rules.recentLogs(task),
      newId: () => randomUUID(),
      changed: () => shipper.kick(),
    },
    { node, verifyMs: cfg.verifySeconds * 1000, scopeOf: (r) => rules.scopeOf(r), now: () => clock.now() },
    metrics,
    log,
  );

  if (cfg.file) {
    const pinned = loadRulesFile(cfg.file, 'rules.file');
    rules.use(pinned, pinnedInfo(pinned));
  } else {
    const held = store.load();
    if (held) rules.use(held.rules, held.info);
  }

  link.onChange((up) => {
    log.info(up ? 'link to the collector up' : 'link to the collector down: edge rules scoped both act locally now', { rules: rules.ruleNames });
    if (up) {
      deps.heartbeat();
      shipper.kick();
      return;
    }
    // what fires now and was left to the cloud is the node's to handle from here
    const now = clock.now();
    for (const t of rules.active()) if (rules.scopeOf(t.rule) === 'both') remediator.onTransition(t, now);
  });
  const onRuleSet = (payload: Buffer) => {
    let r: RuleSetOutcome;
    try {
      r = store.receive(payload);
    } catch (err) {
      log.error('could not persist the edge rule set: not used', { err });
      metrics.ruleSet('unwritable');
      return;
    }
    if (!r.ok) {
      metrics.ruleSet(r.reason);
      log.warn('edge rule set refused', { reason: r.reason, detail: r.message });
      return;
    }
    metrics.ruleSet('accepted');
    if (!r.changed) return;
    rules.use(r.rules, r.info);
    log.info('edge rule set verified and persisted', { version: r.info.version, digest: r.info.digest, rules: rules.ruleNames });
    deps.heartbeat();
  };
  const ticker = periodic('edge-rules-tick', clock, 1000, () => {
    const now = clock.now();
    rules.tick(now);
    remediator.tick(now);
    if (link.up && journal.unshipped().length > 0) shipper.kick();
  }, errorOnChange(log, 'edge rules tick failed'));

  const component: Component = {
    name: 'edge-rules',
    async start() {
      // before the control channel starts the bus: the retained presence and rule set find their handlers
      await link.start();
      if (bus) await bus.subscribe(topics.rules(node), (_topic, payload) => onRuleSet(payload));
      remediator.resume(clock.now());
      ticker.start();
      log.info('edge rules loaded', { source: rules.info.source, version: rules.info.version, rules: rules.ruleNames, dryRun: cfg.dryRun });
    },
    stop() {
      ticker.stop();
      journal.close();
    },
  };
  return {
    tap: rules.tap(),
    observer: rules.observer(() => clock.now()),
    commandSeen: (cmd, status) => cloud.seen(cmd, status),
    ruleSet: () => rules.info,
    component,
  };
}
