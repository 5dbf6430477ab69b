// Attack (issue 15): someone who can publish on the broker pushes a rule set to a node, to make it act on
// rules the cloud never issued (or to take its rules away). The node verifies every set with the command
// keys it trusts and refuses: a set signed by another key, a forged signature under the real key id, a
// genuine set with its rules or version changed, a genuine but older set replayed, and a command's
// signature passed off as a rule set's. It keeps running (and, after a restart, reloads) the set it verified.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { keyIdOf, signCommand } from '../../protocol/commands.js';
import { ruleSetDigest, ruleSetSchema, signRuleSet, type RuleSet } from '../../protocol/rule-set.js';
import { topics } from '../../protocol/topics.js';
import { edgeRig, nodeOnline, type EdgeRig } from '../support/edge-harness.js';
import type { FaultExporter } from '../support/fault-exporter.js';
import { eventually } from '../support/wait.js';

const RULES = (count: number) => `rules:\n  - {name: streak, kind: consecutive, match: {status: ">=500"}, count: ${count}, action: restart, scope: edge}\n`;

describe('a forged edge rule set is refused', () => {
  let rig: EdgeRig | undefined;
  let fx: FaultExporter | undefined;
  let skip: string | false = false;
  let client: mqtt.MqttClient | undefined;
  const seen: RuleSet[] = [];
  before(async () => {
    const r = await edgeRig(RULES(6));
    if ('skip' in r) {
      skip = r.skip;
      return;
    }
    rig = r;
    client = await mqtt.connectAsync(r.broker.url, { clientId: `attacker-${randomUUID().slice(0, 8)}` });
    client.on('message', (_t, payload) => {
      const parsed = ruleSetSchema.safeParse(JSON.parse(payload.toString()));
      if (parsed.success) seen.push(parsed.data);
    });
    await client.subscribeAsync(topics.rules(r.node), { qos: 1 });
    await rig.startCollector();
    fx = await rig.startExporter(`  - name: web\n    command: [sleep, "3600"]\n`);
    await nodeOnline(rig);
    await eventually('version 1 on the node', async () => (await fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) === 1);
    // a second genuine version, so the first can be replayed
    r.writeRules(RULES(5));
    await rig.stopCollector();
    await rig.startCollector();
    await eventually('version 2 on the node', async () => (await fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) === 2);
    await rig.stopCollector(); // nobody re-publishes the genuine set while the attacks sit on the topic
  });
  after(async () => {
    await client?.endAsync();
    await rig?.stop();
  });

  it('refuses every forgery, keeps version 2, and reloads version 2 after a restart', async (t) => {
    if (skip) return t.skip(skip);
    const r = rig!;
    const genuine = await eventually('both genuine sets seen on the topic', () => seen.length >= 2 && seen);
    const v1 = genuine.find((s) => s.version === 1)!;
    const v2 = genuine.find((s) => s.version === 2)!;
    const attacker = generateKeyPairSync('ed25519');
    const attackerKey = { privateKey: attacker.privateKey, keyId: keyIdOf(attacker.publicKey) };
    const evil = [{ name: 'streak', kind: 'consecutive', match: { status: '>=200' }, count: 1, action: 'rollback', scope: 'edge' }];
    const unsigned = { version: 99, issuedAt: Date.now(), digest: ruleSetDigest(evil), rules: evil };
    const command = signCommand({ id: randomUUID(), type: 'restart', node: r.node, task: 'web', issuedAt: Date.now(), expiresAt: Date.now() + 60_000, epoch: 1 }, r.keys.signing);
    const attacks: Array<[string, unknown]> = [
      ['unknown_key', signRuleSet(unsigned, attackerKey)],
      ['bad_signature', { ...signRuleSet(unsigned, attackerKey), keyId: v2.keyId }],
      ['bad_signature', { ...v2, rules: evil, digest: ruleSetDigest(evil) }],
      ['bad_signature', { ...v2, version: 99 }],
      ['bad_signature', { ...v2, rules: evil }],
      ['stale_version', v1],
      ['bad_signature', { ...unsigned, keyId: command.keyId, sig: command.sig }],
      ['malformed', { rules: evil }],
    ];
    const publish = (body: unknown) => client!.publishAsync(topics.rules(r.node), JSON.stringify(body), { qos: 1, retain: true });
    for (const [reason, body] of attacks) {
      const before = await fx!.sum('edgewatch_exporter_rule_sets_received_total', { result: reason });
      await publish(body);
      await eventually(`the node to refuse it (${reason})`, async () => (await fx!.sum('edgewatch_exporter_rule_sets_received_total', { result: reason })) === before + 1);
      assert.equal(await fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' }), 2, `still version 2 after ${reason}`);
    }
    // the last forgery stays retained on the broker: a restarted node is offered it first, and refuses it
    await publish(signRuleSet(unsigned, attackerKey));
    await fx!.stop();
    fx = await r.startExporter(`  - name: web\n    command: [sleep, "3600"]\n`);
    await eventually('the retained forgery refused after the restart', async () => (await fx!.sum('edgewatch_exporter_rule_sets_received_total', { result: 'unknown_key' })) === 1);
    assert.equal(await fx.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' }), 2, 'the persisted genuine set');
    assert.match(fx.output(), /edge rule set refused/);
  });
});
