#!/usr/bin/env node
// The `shoal` executable: a data node (`-mode datanode`), the local cluster (`local`), and the
// operator's tools for cluster files and write-ahead logs.

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ConfigError, loadClusterConfig } from '../../config/index.js';
import { messageOf } from '../../storage/state/errors.js';
import { WAL_USAGE, walCheck, walRepair } from './wal_commands.js';
import { DATANODE_USAGE, DataNodeUsageError, runDataNode } from './datanode_command.js';
import { LOCAL_USAGE, runLocal } from './local_command.js';
import { CLIENT_USAGE, isClientCommand, runClientCommand } from './client_commands.js';

const USAGE = `usage:
${LOCAL_USAGE}
${CLIENT_USAGE}
  shoal check -nodesFile F -clusterConfig F [-config F]
      Parses and validates DolphinDB-style cluster files; prints the groups and any warnings.
${WAL_USAGE}
${DATANODE_USAGE}
  shoal -mode controller|agent ...
      Not built yet.`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function intFlag(args: string[], name: string, fallback: number): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} needs a non-negative integer, got "${raw}"`);
  return n;
}

class UsageError extends Error {}

/** Every argument is one of `known` followed by its value: a mistyped flag must not be ignored. */
function checkFlags(rest: string[], known: string[], command: string): void {
  for (let i = 0; i < rest.length; i += 2) {
    if (!known.includes(rest[i]!)) throw new UsageError(`${command}: unknown argument "${rest[i]}"; it takes ${known.map((k) => `${k} VALUE`).join(', ')}`);
    if (rest[i + 1] === undefined) throw new UsageError(`${command}: ${rest[i]} needs a value`);
  }
}

function repoRoot(): string {
  // dist/broker/cli/shoal.js -> repository root
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

async function check(args: string[]): Promise<void> {
  const nodesFile = flag(args, '-nodesFile');
  const clusterConfig = flag(args, '-clusterConfig');
  if (!nodesFile || !clusterConfig) throw new UsageError('check needs -nodesFile and -clusterConfig');
  const config = flag(args, '-config');
  const cluster = await loadClusterConfig(config ? { nodesFile, clusterConfig, config } : { nodesFile, clusterConfig });
  console.log(`${cluster.nodes.nodes.length} nodes in ${nodesFile}`);
  for (const g of cluster.streamingRaftGroups) console.log(`raft group ${g.id}: ${g.members.join(', ')}`);
  for (const w of cluster.warnings) console.log(`warning: ${w.file}:${w.line}: ${w.message}`);
}

async function main(args: string[]): Promise<void> {
  const command = args[0];
  if (command === 'local') {
    checkFlags(args.slice(1), ['--config-dir', '--home'], 'local');
    return runLocal((name) => flag(args, name), fileURLToPath(import.meta.url), repoRoot());
  }
  if (command === 'check') return check(args.slice(1));
  if (isClientCommand(command)) {
    process.exitCode = await runClientCommand(command, args.slice(1), {
      repoRoot: repoRoot(), env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr,
      stopSignal: () => new Promise((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }),
    });
    return;
  }
  if (command === 'wal-check' || command === 'wal-repair') {
    const walDir = flag(args, '-walDir');
    if (!walDir) throw new UsageError(`${command} needs -walDir`);
    if (command === 'wal-check') {
      process.exitCode = walCheck(walDir);
      return;
    }
    const segment = flag(args, '-segment');
    if (!segment || flag(args, '-offset') === undefined) throw new UsageError('wal-repair needs -segment and -offset');
    process.exitCode = walRepair(walDir, segment, intFlag(args, '-offset', 0));
    return;
  }
  if (command === '-mode' || args.includes('-mode')) {
    const mode = flag(args, '-mode');
    if (mode === 'datanode') return runDataNode((name) => flag(args, name));
    throw new UsageError(`-mode ${mode ?? ''} is not built yet; use -mode datanode, "shoal local", or "shoal check" to validate cluster files`);
  }
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  throw new UsageError(`unknown command "${command}"`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 2;
  } else if (error instanceof UsageError || error instanceof DataNodeUsageError) {
    console.error(`shoal: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    // A failure no command foresaw (a file system error, a bug): one line that names it, no stack trace.
    console.error(`shoal: ${process.argv[2] ?? 'shoal'} failed: ${messageOf(error)}; check the paths and flags given (shoal --help), and report it if they are right`);
    process.exitCode = 1;
  }
});
