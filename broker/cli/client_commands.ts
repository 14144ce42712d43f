// The `shoal` commands a person runs against a cluster: status, leader, tables, tail, append. Parses
// the arguments, resolves the nodes and the login, runs the command, and turns its failure into a
// message and an exit status (2: the input was wrong; 1: the cluster could not do it).

import { join } from 'node:path';
import { ShoalError } from '../../clients/shoal_client.js';
import { messageOf } from '../../storage/state/errors.js';
import { DEFAULT_BATCH_ROWS, MAX_BATCH_ROWS, progressTo, runAppend } from './append_command.js';
import { CommandSpec, ParsedArgs, choiceFlag, filterValues, intFlag, parseArgs } from './cli_args.js';
import { CliError } from './cli_errors.js';
import { CliTarget, TARGET_FLAGS, TARGET_USAGE, loadLocalCluster, resolveTarget } from './cli_target.js';
import { runLeader, runStatus, runTables } from './cluster_commands.js';
import { runTail } from './tail_command.js';

export const CLIENT_COMMANDS = ['status', 'leader', 'tables', 'tail', 'append'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

export function isClientCommand(name: string | undefined): name is ClientCommand {
  return (CLIENT_COMMANDS as readonly string[]).includes(name ?? '');
}

/** Each command's lines of `shoal --help`. */
const USAGES: Record<ClientCommand, string> = {
  status: `  shoal status [node and login flags]
      The data nodes (up or down, their role in each group), the raft groups (members, leader, term)
      and how many stream tables there are. A node that does not answer is shown down.`,
  leader: `  shoal leader <group> [node and login flags]
      Prints the leader site (host:port:alias) of the raft group; exit 1 when it has none.`,
  tables: `  shoal tables [node and login flags]
      Every stream table: name, raft group, rows, HA or not, key columns.`,
  tail: `  shoal tail <table> [--from OFFSET] [--filter V1,V2] [--format json|csv] [--count N]
             [--action NAME] [--persist] [node and login flags]
      Prints rows as they arrive (from OFFSET >= 0, -1 new rows only (default), -2 after the offset
      persisted by --persist under --action) until Ctrl-C, or until N rows have been printed.`,
  append: `  shoal append <table> [--format csv|json] [--no-header] [--batch N] [--progress] [node and login flags]
      Appends CSV (first line: column names, unless --no-header) or JSON lines from stdin in batches
      of N rows (default ${DEFAULT_BATCH_ROWS}) at the group's leader; progress on stderr when it is a
      terminal or with --progress. A bad line stops it with exit 2: nothing of its batch is sent,
      earlier batches stay written.`,
};

export const CLIENT_USAGE = `${CLIENT_COMMANDS.map((c) => USAGES[c]).join('\n')}
${TARGET_USAGE}`;

const SPECS: Record<ClientCommand, CommandSpec> = {
  status: { name: 'status', positionals: [], flags: { ...TARGET_FLAGS } },
  leader: { name: 'leader', positionals: ['group'], flags: { ...TARGET_FLAGS } },
  tables: { name: 'tables', positionals: [], flags: { ...TARGET_FLAGS } },
  tail: {
    name: 'tail', positionals: ['table'],
    flags: { ...TARGET_FLAGS, from: 'string', filter: 'string', format: 'string', count: 'string', action: 'string', persist: 'boolean' },
  },
  append: {
    name: 'append', positionals: ['table'],
    flags: { ...TARGET_FLAGS, format: 'string', 'no-header': 'boolean', batch: 'string', progress: 'boolean' },
  },
};

export interface CommandIo {
  repoRoot: string;
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Starts catching Ctrl-C (SIGINT) and SIGTERM; resolves on the first. Only tail asks, so the others stop at once. */
  stopSignal: () => Promise<void>;
}

/** Runs the command; returns the exit status, having printed what went wrong. */
export async function runClientCommand(command: ClientCommand, argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    await run(command, parseArgs(argv, SPECS[command]), io);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`shoal ${command}: ${err.text}\n${err.code === 'USAGE' ? `\nusage:\n${USAGES[command]}\n${TARGET_USAGE}\n` : ''}`);
      return err.exitCode;
    }
    if (err instanceof ShoalError) {
      io.stderr.write(`shoal ${command}: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`shoal ${command}: ${messageOf(err)}\n`);
    return 1;
  }
}

async function targetOf(args: ParsedArgs, io: CommandIo): Promise<CliTarget> {
  const explicitDir = args.values.get('config-dir');
  const local = await loadLocalCluster(explicitDir ?? join(io.repoRoot, 'config', 'local'));
  if (explicitDir !== undefined && local instanceof Error) throw new CliError('USAGE', `--config-dir ${explicitDir}: ${local.message}`);
  return resolveTarget(args, io.env, local);
}

async function run(command: ClientCommand, args: ParsedArgs, io: CommandIo): Promise<void> {
  const print = (text: string) => io.stdout.write(text + '\n');
  switch (command) {
    case 'status': return runStatus(await targetOf(args, io), print);
    case 'tables': return runTables(await targetOf(args, io), print);
    case 'leader': {
      const raw = args.positionals[0]!;
      if (!/^\d+$/.test(raw)) throw new CliError('USAGE', `<group> is a raft group id (a number, as in streamingRaftGroups), got "${raw}"`);
      return runLeader(await targetOf(args, io), Number(raw), print);
    }
    case 'tail': {
      const offset = intFlag(args, 'from', -1, -2);
      const action = args.values.get('action');
      if (offset === -2 && action === undefined) throw new CliError('USAGE', '--from -2 resumes the offset persisted under an action name; give --action NAME (the one used with --persist)');
      const filter = args.values.get('filter');
      await runTail(await targetOf(args, io), {
        table: args.positionals[0]!,
        offset,
        filter: filter === undefined ? undefined : filterValues(filter),
        format: choiceFlag(args, 'format', ['json', 'csv'], 'json'),
        count: args.values.has('count') ? intFlag(args, 'count', 0, 0) : undefined,
        actionName: action ?? `shoal_tail_${process.pid}`,
        persistOffset: args.switches.has('persist'),
      }, io.stdout, io.stopSignal());
      return;
    }
    case 'append': {
      const format = choiceFlag(args, 'format', ['csv', 'json'], 'csv');
      if (format === 'json' && args.switches.has('no-header')) throw new CliError('USAGE', '--no-header is for CSV; JSON lines name their columns or list them in table order');
      const options = { table: args.positionals[0]!, format, header: !args.switches.has('no-header'), batchRows: intFlag(args, 'batch', DEFAULT_BATCH_ROWS, 1, MAX_BATCH_ROWS) };
      const target = await targetOf(args, io);
      io.stdin.setEncoding('utf8');
      const tally = await runAppend(target, options, io.stdin as AsyncIterable<string>, progressTo(io.stderr, args.switches.has('progress') || io.stderr.isTTY === true));
      print(tally.summary(options.table));
      return;
    }
  }
}
