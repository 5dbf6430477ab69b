import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parse, UsageError, type Command } from './args.js';

/** `edgewatch nodes add|list|rotate|remove`: the credentials each edge node (or service sender) logs in with. */
export const nodesCommand: Command = {
  name: 'nodes',
  summary: "create and revoke edge nodes' credentials (MQTT and forward input), print their config",
  help: `Usage: edgewatch nodes add NAME --config FILE [--service] [--collector HOST] [--out-dir DIR] [--mosquitto-passwd FILE]
       edgewatch nodes rotate NAME --config FILE [--out-dir DIR] [--mosquitto-passwd FILE]
       edgewatch nodes remove NAME --config FILE
       edgewatch nodes list --config FILE

Every node logs in to the broker and to the forward input with its own name and password, and may speak
only for itself: publish only under edgewatch/NAME/, read only its own commands, send only log tags
edgewatch.NAME.*. 'add' prints the exporter config fragment with the node's credentials (running it
again prints the same ones); 'rotate' makes new ones (the old stop working at once); 'remove' revokes.
Passwords are not stored: they are derived from the collector's credential key (nodes.credentialsKeyFile,
made on first start beside the store), so --config must name the collector's config.

Options:
  --config FILE            the collector's config file
  --data-dir DIR           instead of --config: the data directory of 'edgewatch start'
  --service                a service sender (forward input only, tags outside edgewatch.*), not a node
  --collector HOST         the collector's address as the node reaches it (default: from the config)
  --out-dir DIR            write DIR/password and DIR/shared-key (mode 0600); the fragment names the files
  --mosquitto-passwd FILE  also set NAME's password in a Mosquitto password file (for mqtt.url brokers)
  -h, --help               show this help

Example:
  edgewatch nodes add edge-7 --config /etc/edgewatch/collector.yaml --collector cloud.example.com > edge-7.yaml
  scp edge-7.yaml edge-7:/etc/edgewatch/exporter.yaml     # then add tasks, commands.publicKeyFile, ...
`,
  async run(argv, io) {
    const [verb, name, ...rest] = argv;
    if (verb !== 'add' && verb !== 'rotate' && verb !== 'remove' && verb !== 'list') throw new UsageError(verb ? `unknown nodes action "${verb}" (expected add, rotate, remove or list)` : 'missing action: edgewatch nodes add NAME');
    const args = verb === 'list' ? [name, ...rest].filter((a): a is string => a !== undefined) : rest;
    if (verb !== 'list' && (!name || name.startsWith('-'))) throw new UsageError(`edgewatch nodes ${verb} NAME: the node name is missing`);
    const { values } = parse(args, {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      service: { type: 'boolean' },
      collector: { type: 'string' },
      'out-dir': { type: 'string' },
      'mosquitto-passwd': { type: 'string' },
    });
    const { openCredentials } = await import('../collector/auth/credentials-store.js');
    const store = await openCredentials(values.config, values['data-dir']);
    try {
      const { credentials, audit, config } = store;
      const who = `cli:${userInfo().username}`;
      if (verb === 'list') {
        const all = credentials.list();
        if (all.length === 0) io.out('no nodes: edgewatch nodes add NAME --config FILE\n');
        for (const i of all) io.out(`${i.name}\t${i.kind}\tgeneration ${i.generation}\tsince ${new Date(i.createdAt).toISOString()}\n`);
        return 0;
      }
      if (verb === 'remove') {
        if (!credentials.remove(name!)) throw new UsageError(`no node or service named "${name}" (edgewatch nodes list)`);
        audit.record({ who, source: 'cli', action: 'node.remove', target: name!, outcome: 'done' });
        io.out(`removed ${name}: its credentials no longer log in (connections already open stay until they reconnect)\n`);
        return 0;
      }
      let id;
      try {
        id = verb === 'add' ? credentials.add(name!, values.service ? 'service' : 'node') : credentials.rotate(name!);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (!id) throw new UsageError(`no node or service named "${name}" to rotate (edgewatch nodes add ${name})`);
      audit.record({ who, source: 'cli', action: `node.${verb}`, target: id.name, outcome: 'done', detail: { kind: id.kind, generation: id.generation } });
      const sharedKey = config.forward.sharedKey ?? credentials.sharedKey();
      let secrets: { password: string } | { passwordFile: string } = { password: id.password };
      let keyRef: { sharedKey: string } | { sharedKeyFile: string } = { sharedKey };
      if (values['out-dir']) {
        const dir = values['out-dir'];
        mkdirSync(dir, { recursive: true });
        writeSecret(join(dir, 'password'), id.password);
        writeSecret(join(dir, 'shared-key'), sharedKey);
        secrets = { passwordFile: join(dir, 'password') };
        keyRef = { sharedKeyFile: join(dir, 'shared-key') };
      }
      if (values['mosquitto-passwd']) {
        const { setMosquittoPassword } = await import('../common/adapters/mosquitto-passwd.js');
        setMosquittoPassword(values['mosquitto-passwd'], id.name, id.password);
      }
      const host = values.collector ?? reachableHost(config.forward.listen.host);
      const fragment: Record<string, unknown> = {
        ...(id.kind === 'node' ? { node: id.name } : {}),
        forward: { address: `${host}:${config.forward.listen.port}`, ...keyRef, username: id.name, ...secrets },
      };
      if (id.kind === 'node') {
        const mqttUrl = config.mqtt.url ? config.mqtt.url.replace(/\/\/[^@/]*@/, '//') : `mqtt://${values.collector ?? reachableHost(config.mqtt.embedded!.listen.host)}:${config.mqtt.embedded!.listen.port}`;
        fragment.mqtt = { url: mqttUrl, username: id.name, ...secrets };
      }
      io.out(`# ${id.kind} ${id.name} (generation ${id.generation}): exporter config fragment; keep it private (chmod 600)\n${stringify(fragment)}`);
      return 0;
    } finally {
      store.close();
    }
  },
};

function writeSecret(file: string, value: string): void {
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A listen host as another machine names it: a wildcard becomes this machine's loopback (say --collector for the real one). */
function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
