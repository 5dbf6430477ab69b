import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_FILE, PUBLIC_KEY_FILE, writeKeyPair } from '../common/adapters/key-files.js';
import { parse, UsageError, type Command } from './args.js';

/** `edgewatch keys generate --out DIR`: the Ed25519 key pair that signs control-channel commands. */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'generate the Ed25519 key pair that signs remediation commands',
  help: `Usage: edgewatch keys generate --out DIR [--force]

Writes DIR/command.key (Ed25519 private key, PKCS#8 PEM, mode 0600) and DIR/command.pub (SPKI PEM).
The collector signs every command with the private key (collector config: commands.privateKeyFile);
each edge exporter holds only the public key (exporter config: commands.publicKeyFile), so a captured
edge node cannot forge commands for the rest of the fleet.

Options:
  --out DIR   directory to write the keys into (created if missing)
  --force     overwrite existing keys
  -h, --help  show this help

Example:
  edgewatch keys generate --out ./keys
  scp ./keys/command.pub edge-1:/etc/edgewatch/command.pub
`,
  async run(argv, io) {
    const [verb, ...rest] = argv;
    if (verb !== 'generate') throw new UsageError(verb ? `unknown keys action "${verb}" (expected "generate")` : 'missing action: edgewatch keys generate --out DIR');
    const { values } = parse(rest, { out: { type: 'string' }, force: { type: 'boolean' } });
    if (!values.out) throw new UsageError('--out DIR is required');
    const keyPath = join(values.out, KEY_FILE);
    const pubPath = join(values.out, PUBLIC_KEY_FILE);
    if (!values.force && (existsSync(keyPath) || existsSync(pubPath))) {
      throw new UsageError(`${keyPath} or ${pubPath} already exists; pass --force to overwrite`);
    }
    writeKeyPair(values.out);
    io.out(`wrote ${keyPath} (private: keep on the collector)\nwrote ${pubPath} (public: copy to every edge node)\n`);
    return 0;
  },
};
