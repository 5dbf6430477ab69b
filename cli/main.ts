import { ConfigError, EdgewatchError, errorMessage, printable } from '../common/errors.js';
import { processIo, UsageError, type Command, type Io } from './args.js';
import { backtestCommand } from './backtest-command.js';
import { collectorCommand } from './collector-command.js';
import { exporterCommand } from './exporter-command.js';
import { keysCommand } from './keys-command.js';
import { nodesCommand } from './nodes-command.js';
import { startCommand } from './start-command.js';
import { tokenCommand } from './token-command.js';

const commands: Command[] = [startCommand, exporterCommand, collectorCommand, nodesCommand, tokenCommand, keysCommand, backtestCommand];

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `edgewatch: observability, fault detection and guarded remediation for tasks on edge nodes

Usage: edgewatch <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'edgewatch <command> --help' for a command's options and examples.
Quick start: 'npm start' runs the whole stack on one machine (same as 'edgewatch start').
`;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.out('edgewatch 0.1.0\n');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`edgewatch: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`edgewatch ${command.name}: ${printable(err.message)}\nRun 'edgewatch ${command.name} --help' for usage.\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`edgewatch ${command.name}: ${printable(err.message)}\n`);
      return 2;
    }
    if (err instanceof EdgewatchError) {
      io.err(`edgewatch ${command.name}: ${printable(err.message)}\n`);
      return 1;
    }
    io.err(`edgewatch ${command.name}: ${printable(errorMessage(err))}\n`);
    return 1;
  }
}
