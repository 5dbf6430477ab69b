import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadCollectorConfigFile } from '../../../collector/config.js';
import { startCollector } from '../../../collector/main.js';
import { silentLogger } from '../../../common/logger.js';
import { loadRulesFile } from '../../../common/rules/rule-file.js';
import { runCli } from '../../support/cli.js';
import { requireBinary } from '../../support/components.js';
import { tempDir } from '../../support/paths.js';
import { edgewatchArgs, listFiles, readYaml, rel, repoPath, run } from './ops-support.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

/** Which deployable a YAML file under examples/ configures, from its top-level keys (a rule file: 'rules'). */
function configKind(doc: unknown): 'exporter' | 'collector' | 'rules' | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const keys = Object.keys(doc);
  if (keys.length === 1 && Array.isArray((doc as { rules?: unknown }).rules)) return 'rules';
  if (keys.includes('tasks') || keys.includes('node')) return 'exporter';
  if (['store', 'notify', 'rules'].some((k) => keys.includes(k)) || (doc as { forward?: { listen?: unknown } }).forward?.listen !== undefined) return 'collector';
  return undefined;
}

const exampleYaml = listFiles(repoPath('examples'), /\.ya?ml$/).map((file) => ({ file, kind: configKind(readYaml(file)) }));
const compose = readYaml(repoPath('docker-compose.yml')) as Compose;

describe('example configs (examples/)', () => {
  // --check opens the files a config names: the compose configs name container paths (/keys from
  // `edgewatch keys generate`, /var/lib/edgewatch), so they are checked with those moved to a temp dir
  const tmp = tempDir('edgewatch-examples-');
  before(() => {
    const r = run(process.execPath, edgewatchArgs(['keys', 'generate', '--out', join(tmp.dir, 'keys')]));
    assert.equal(r.status, 0, r.message);
  });
  after(() => tmp.cleanup());
  const onThisHost = (file: string): string => {
    if (!file.includes('/compose/')) return file;
    const moved = join(tmp.dir, basename(file));
    writeFileSync(moved, readFileSync(file, 'utf8').replaceAll('/keys/', `${tmp.dir}/keys/`).replaceAll('/var/lib/edgewatch/', `${tmp.dir}/data/`));
    return moved;
  };

  it('finds the compose configs of both deployables', () => {
    const kinds = (k: string) => exampleYaml.filter((e) => e.kind === k).map((e) => rel(e.file));
    for (const f of ['examples/compose/edge-1.yaml', 'examples/compose/edge-2.yaml']) assert.ok(kinds('exporter').includes(f), f);
    assert.ok(kinds('collector').includes('examples/compose/collector.yaml'));
  });

  for (const { file } of exampleYaml.filter((e) => e.kind === 'rules')) {
    it(`the rule file ${rel(file)} loads (what edgewatch backtest --rules reads)`, () => {
      assert.ok(loadRulesFile(file).length > 0);
    });
  }

  for (const { file, kind } of exampleYaml.filter((e) => e.kind === 'exporter' || e.kind === 'collector')) {
    it(`edgewatch ${kind} --config ${rel(file)} --check exits 0`, () => {
      const r = run(process.execPath, edgewatchArgs([kind!, '--config', onThisHost(file), '--check']));
      assert.equal(r.status, 0, r.message);
      assert.match(r.stdout, /valid/, r.message);
    });
  }

  it('runs task scripts that exist (container path /app is the repository)', () => {
    for (const { file } of exampleYaml.filter((e) => e.kind === 'exporter' && e.file.includes('/compose/'))) {
      const cfg = readYaml(file) as { tasks: { name: string; command: string[] }[] };
      for (const t of cfg.tasks) {
        for (const arg of t.command.filter((a) => a.startsWith('/app/'))) {
          assert.ok(existsSync(repoPath(arg.slice('/app/'.length))), `${rel(file)}: task ${t.name} runs ${arg}, missing from the repository`);
        }
      }
    }
  });
});

describe('docker-compose.yml', () => {
  const skip = requireBinary('docker-compose', ['version']);

  it('docker-compose config -q validates it', skip, () => {
    const r = run('docker-compose', ['-f', repoPath('docker-compose.yml'), 'config', '-q']);
    assert.equal(r.status, 0, r.message);
  });

  it('has every service of the stack, the collector and exporters running the edgewatch image', () => {
    for (const s of ['mosquitto', 'prometheus', 'alertmanager', 'grafana', 'collector', 'edge-1', 'edge-2']) assert.ok(compose.services[s], `service ${s}`);
    assert.deepEqual(compose.services.collector!.command, ['collector', '--config', '/etc/edgewatch/collector.yaml']);
    for (const e of ['edge-1', 'edge-2']) assert.deepEqual(compose.services[e]!.command, ['exporter', '--config', '/etc/edgewatch/exporter.yaml']);
    for (const s of ['collector', 'edge-1', 'edge-2']) assert.ok(compose.services[s]!.build, `${s} is built from this repository`);
  });

  it('bind-mounts only paths that exist in the repository', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('./')) {
          assert.ok(source in compose.volumes, `${name}: named volume ${source} is declared`);
          continue;
        }
        assert.ok(existsSync(repoPath(source)), `${name}: ${source} exists`);
      }
    }
  });

  it('publishes every port on 127.0.0.1 only', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const p of (svc as { ports?: string[] }).ports ?? []) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${p}`);
    }
  });

  it('ships API auth: the init service makes the admin and Alertmanager tokens, and Alertmanager reads its own', () => {
    const init = JSON.stringify(compose.services.keys!.command);
    assert.match(init, /token create --config \/etc\/edgewatch\/collector\.yaml --name admin --role admin --out \/var\/lib\/edgewatch\/admin\.token --if-missing/);
    assert.match(init, /--name alertmanager --role alertmanager --out \/alertmanager-secrets\/edgewatch\.token --if-missing/);
    const am = readYaml(repoPath('alerts', 'alertmanager.yml')) as { receivers: { name: string; webhook_configs?: { http_config?: { authorization?: { credentials_file?: string } } }[] }[] };
    const file = am.receivers.find((r) => r.name === 'edgewatch-collector')!.webhook_configs![0]!.http_config!.authorization!.credentials_file!;
    assert.equal(file, '/etc/alertmanager/secrets/edgewatch.token');
    assert.ok(compose.services.alertmanager!.volumes!.includes('alertmanager-secrets:/etc/alertmanager/secrets:ro'));
    assert.ok(!(compose.services.collector!.volumes ?? []).some((v) => v.startsWith('alertmanager-secrets')), 'the collector does not mount Alertmanager\'s token');
  });

  it('the init service\'s token commands let the compose collector (API on 0.0.0.0) start, and are idempotent', async () => {
    const tmp = tempDir('edgewatch-compose-tokens-');
    try {
      // the compose collector config with its store in a temp dir and the embedded broker for mosquitto
      const raw = readYaml(repoPath('examples', 'compose', 'collector.yaml')) as Record<string, Record<string, unknown>>;
      raw.http!.listen = '0.0.0.0:0';
      raw.forward!.listen = '127.0.0.1:0';
      raw.mqtt = { embedded: { listen: '127.0.0.1:0' } };
      raw.store!.path = join(tmp.dir, 'collector.db');
      delete raw.commands;
      const file = join(tmp.dir, 'collector.yaml');
      writeFileSync(file, stringify(raw));
      const create = () => runCli(['token', 'create', '--config', file, '--name', 'admin', '--role', 'admin', '--out', join(tmp.dir, 'admin.token'), '--if-missing']);
      assert.equal(create().code, 0);
      const first = readFileSync(join(tmp.dir, 'admin.token'), 'utf8');
      const again = create();
      assert.equal(again.code, 0);
      assert.match(again.stdout, /is valid; nothing to do/);
      assert.equal(readFileSync(join(tmp.dir, 'admin.token'), 'utf8'), first, 'a restarted init keeps the token');
      assert.equal(statSync(join(tmp.dir, 'admin.token')).mode & 0o777, 0o600);
      const collector = await startCollector(loadCollectorConfigFile(file), { logger: silentLogger });
      try {
        const res = await fetch(`http://127.0.0.1:${collector.httpPort}/api/nodes`, { headers: { authorization: `Bearer ${first.trim()}` } });
        assert.equal(res.status, 200);
      } finally {
        await collector.stop();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('gives the edges only the public command key', () => {
    const mounts = (s: string) => compose.services[s]!.volumes ?? [];
    assert.ok(mounts('collector').includes('collector-keys:/keys:ro'));
    for (const e of ['edge-1', 'edge-2']) {
      assert.ok(!mounts(e).some((m) => m.startsWith('collector-keys:')), `${e} never mounts the private key`);
      assert.equal((readYaml(repoPath('examples', 'compose', `${e}.yaml`)) as { commands: { publicKeyFile: string } }).commands.publicKeyFile, '/keys/command.pub');
    }
  });

  it('agrees with itself: node names, node credentials, MQTT users, Prometheus targets and the collector URL', () => {
    const init = JSON.stringify(compose.services.keys!.command);
    const targets = readYaml(repoPath('examples', 'compose', 'prometheus', 'targets', 'exporters.yml')) as { targets: string[]; labels: { node: string } }[];
    assert.match(init, /for n in edge-1 edge-2; do\s+node bin\/edgewatch\.js nodes add \$\$n --config \/etc\/edgewatch\/collector\.yaml --out-dir \/node-secrets\/\$\$n --mosquitto-passwd \/mosquitto-secrets\/passwd/);
    assert.match(init, /nodes add collector --service --config \/etc\/edgewatch\/collector\.yaml --out-dir \/collector-secrets --mosquitto-passwd \/mosquitto-secrets\/passwd/);
    for (const e of ['edge-1', 'edge-2']) {
      const cfg = readYaml(repoPath('examples', 'compose', `${e}.yaml`)) as { node: string; mqtt: { username: string; passwordFile: string }; forward: { username: string; passwordFile: string; sharedKeyFile: string }; http: { listen: string } };
      assert.equal(cfg.node, e);
      assert.equal(cfg.mqtt.username, e, 'MQTT username is the node name (the ACL uses %u)');
      assert.deepEqual([cfg.forward.username, cfg.forward.passwordFile, cfg.forward.sharedKeyFile, cfg.mqtt.passwordFile], [e, '/secrets/password', '/secrets/shared-key', '/secrets/password']);
      assert.ok(compose.services[e]!.volumes!.includes(`${e}-secrets:/secrets:ro`), `${e} mounts only its own credentials`);
      assert.ok(compose.services.keys!.volumes!.includes(`${e}-secrets:/node-secrets/${e}`));
      const port = cfg.http.listen.split(':').pop();
      assert.ok(targets.some((t) => t.labels.node === e && t.targets.includes(`${e}:${port}`)), `Prometheus scrapes ${e}:${port} with node=${e}`);
    }
    const collector = readYaml(repoPath('examples', 'compose', 'collector.yaml')) as { http: { listen: string }; mqtt: { url: string; username: string; passwordFile: string } };
    assert.equal(collector.http.listen, '0.0.0.0:8080', 'Alertmanager posts to collector:8080');
    assert.deepEqual([collector.mqtt.url, collector.mqtt.username, collector.mqtt.passwordFile], ['mqtt://mosquitto:1883', 'collector', '/secrets/password']);
    const conf = readFileSync(repoPath('examples', 'compose', 'mosquitto', 'mosquitto.conf'), 'utf8');
    assert.match(conf, /^allow_anonymous false$/m);
    assert.match(conf, /^password_file \/mosquitto\/secrets\/passwd$/m);
    assert.match(conf, /^use_username_as_clientid true$/m);
    assert.ok(compose.services.mosquitto!.volumes!.includes('mosquitto-secrets:/mosquitto/secrets:ro'));
  });

  it('builds the image on node:20-bookworm-slim with npm ci and runs node bin/edgewatch.js', () => {
    const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20-bookworm-slim\b/m);
    assert.match(dockerfile, /npm ci\b/);
    assert.match(dockerfile, /npm run build/);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "bin\/edgewatch\.js"\]$/m);
    const ignore = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git']) assert.ok(ignore.includes(p), `.dockerignore lists ${p}`);
  });
});
