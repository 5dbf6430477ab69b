// Guards issue 12: a YAML alias bomb exited naming no file, and a binary config echoed raw bytes to the
// terminal. Whoever can plant a config or rule file must get neither a hung process nor an escape
// sequence into the operator's terminal.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';

/** Nine anchors of nine aliases each: 9^9 (387 million) nodes once expanded ("billion laughs"). */
function aliasBomb(prefix = ''): string {
  const lines = [`${prefix}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < 9; i++) {
    const name = String.fromCharCode(97 + i);
    lines.push(`${prefix}${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  }
  return lines.join('\n') + '\n';
}

/** An ELF-looking header followed by a terminal escape that would retitle the window and clear the screen. */
const BINARY = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00]), Buffer.from('\x1b]0;pwned\x07\x1b[2J'), Buffer.from([0xff, 0xfe])]);

describe('hostile config and rule files', { timeout: 60_000 }, () => {
  const tmp = tempDir('edgewatch-hostile-');
  after(() => tmp.cleanup());
  const file = (name: string, content: string | Buffer) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, content);
    return path;
  };

  /** Runs the CLI; it must refuse within seconds, exit 2, name `named`, and echo no control byte (nor, for binary, any of its text). */
  function refused(args: string[], named: string, text = false): string {
    const t0 = Date.now();
    const r = runCli(args);
    assert.ok(Date.now() - t0 < 15_000, 'refused at once, not after expanding anything');
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.ok(r.stderr.includes(named), `names ${named}: ${r.stderr}`);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control byte reaches the terminal');
    if (!text) assert.doesNotMatch(r.stderr, /ELF|pwned/, 'the bytes are not echoed');
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    return r.stderr;
  }

  for (const kind of ['exporter', 'collector'] as const) {
    it(`${kind}: a YAML alias bomb is a config error naming the file`, () => {
      const bomb = file(`${kind}-bomb.yaml`, aliasBomb('x-'));
      assert.match(refused([kind, '--config', bomb, '--check'], bomb), /YAML: .*alias/i);
      refused([kind, '--config', bomb], bomb);
    });

    it(`${kind}: a binary file is refused naming the file, its bytes not echoed`, () => {
      const bin = file(`${kind}.bin.yaml`, BINARY);
      assert.match(refused([kind, '--config', bin, '--check'], bin), /not a text file \(\d+ bytes of binary data\)/);
    });

    it(`${kind}: an escape sequence in a key name is shown escaped, not sent to the terminal`, () => {
      const esc = file(`${kind}-escape.yaml`, '"\x1b]0;pwned\x07\x1b[2J": 1\n');
      // a text file (UTF-8 allows ESC and BEL) whose key holds raw control bytes: shown as \x1b and \x07
      assert.match(refused([kind, '--config', esc, '--check'], esc, true), /unknown key "\\x1b\]0;\S+\\x07\\x1b\[2J"/);
    });
  }

  it('collector: a rule file that is an alias bomb or binary names rules.file and the file', () => {
    const bomb = file('rules-bomb.yml', aliasBomb().replace(/^a:/, 'rules: []\na:'));
    const cfg = file('rules-bomb.yaml', `rules: {file: ${bomb}}\nstore: {path: ${join(tmp.dir, 'store', 'collector.db')}}\n`);
    assert.match(refused(['collector', '--config', cfg, '--check'], bomb), /rules\.file: \S+rules-bomb\.yml: YAML: .*alias/i);
    const bin = file('rules.bin.yml', BINARY);
    const cfg2 = file('rules-bin.yaml', `rules: {file: ${bin}}\nstore: {path: ${join(tmp.dir, 'store', 'collector.db')}}\n`);
    assert.match(refused(['collector', '--config', cfg2, '--check'], bin), /rules\.file: \S+rules\.bin\.yml: not a text file/);
  });

  it('backtest: a binary or alias-bomb rule file is refused naming it', () => {
    const csv = file('input.csv', 'timestamp,value\n2026-01-01T00:00:00Z,1\n');
    const bomb = file('bt-bomb.yml', aliasBomb());
    refused(['backtest', '--rules', bomb, '--rule', 'x', '--input', csv], bomb);
    const bin = file('bt.bin.yml', BINARY);
    refused(['backtest', '--rules', bin, '--rule', 'x', '--input', csv], bin);
  });
});
