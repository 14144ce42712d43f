// Which data nodes a client command talks to and as whom. The nodes come from --site (or --host and
// --port), else from the config directory's cluster.nodes (default config/local, the cluster of
// `npm start`). The password comes from --password, else SHOAL_PASSWORD, else the config directory's
// adminPassword -- the last only when the nodes are that directory's own, so the local cluster's
// password is never sent to some other cluster. resolveTarget is pure; loadLocalCluster reads files.

import { join } from 'node:path';
import { ConfigError, loadClusterConfig } from '../../config/index.js';
import { nodeConfig } from '../../config/cluster_config.js';
import { parseHost, parsePort } from '../../config/site.js';
import { parseSite } from '../protocol/error_codes.js';
import { CliError } from './cli_errors.js';
import { ParsedArgs } from './cli_args.js';

/** A data node to dial: host and port, and how to name it ("host:port:alias" when known). */
export interface NodeAddress {
  host: string;
  port: number;
  label: string;
}

export interface CliTarget {
  /** Where to start: the node given, or every data node of the config directory. */
  seeds: NodeAddress[];
  /** True when the seeds are the config directory's data nodes (status lists them all). */
  fromConfig: boolean;
  user: string;
  password: string;
}

/** What the config directory says, when it could be read. */
export interface LocalCluster {
  dir: string;
  dataNodes: NodeAddress[];
  adminPassword: string | undefined;
}

export const TARGET_FLAGS = { site: 'string', host: 'string', port: 'string', user: 'string', password: 'string', 'config-dir': 'string' } as const;

export const TARGET_USAGE = `      Nodes: --site host:port[:alias] | --host H --port P (default: the data nodes of --config-dir DIR,
      default config/local). Login: --user (default admin), --password (default $SHOAL_PASSWORD, else the
      adminPassword of DIR/cluster.cfg when the nodes are DIR's).`;

/** "host:port" or "host:port:alias" as a NodeAddress; undefined when it is neither. */
export function addressOf(text: string): NodeAddress | undefined {
  const site = parseSite(text);
  if (site !== undefined) return { host: site.host, port: site.port, label: text };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m === null) return undefined;
  const host = parseHost(m[1]!);
  const port = parsePort(m[2]!);
  return host.ok && port.ok ? { host: host.value, port: port.value, label: `${host.value}:${port.value}` } : undefined;
}

function sameNode(a: NodeAddress, b: NodeAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

function givenNode(args: ParsedArgs): NodeAddress | undefined {
  const site = args.values.get('site');
  const host = args.values.get('host');
  const port = args.values.get('port');
  if (site !== undefined) {
    if (host !== undefined || port !== undefined) throw new CliError('USAGE', `give --site or --host/--port, not both`);
    const address = addressOf(site);
    if (address === undefined) throw new CliError('USAGE', `--site needs host:port (or host:port:alias), got "${site}"`);
    return address;
  }
  if (host === undefined && port === undefined) return undefined;
  const address = addressOf(`${host ?? '127.0.0.1'}:${port ?? ''}`);
  if (address === undefined) throw new CliError('USAGE', `--host needs a host name and --port a port number 1..65535, got ${host ?? '(none)'} and ${port ?? '(none)'}`);
  return address;
}

/**
 * The nodes and login of a command. `local` is the config directory's content, or the error that kept
 * it from being read; that error matters only when the nodes have to come from it.
 */
export function resolveTarget(args: ParsedArgs, env: Record<string, string | undefined>, local: LocalCluster | Error): CliTarget {
  const given = givenNode(args);
  if (given === undefined && local instanceof Error) {
    throw new CliError('USAGE', `no --site given and the config directory cannot be read: ${local.message}`);
  }
  const cluster = local instanceof Error ? undefined : local;
  const seeds = given !== undefined ? [given] : cluster!.dataNodes;
  if (seeds.length === 0) throw new CliError('USAGE', `${cluster!.dir}/cluster.nodes lists no data node; give --site host:port`);
  const nodesAreLocal = cluster !== undefined && seeds.every((s) => cluster.dataNodes.some((n) => sameNode(n, s)));
  const password = args.values.get('password') ?? env['SHOAL_PASSWORD'] ?? (nodesAreLocal ? cluster!.adminPassword : undefined);
  if (password === undefined) {
    throw new CliError('NO_PASSWORD', `give --password or set SHOAL_PASSWORD (the adminPassword of a config directory is used only for its own nodes)`);
  }
  // A seed the config knows is named by its alias, so messages and `status` show it.
  const named = seeds.map((s) => cluster?.dataNodes.find((n) => sameNode(n, s)) ?? s);
  return { seeds: named, fromConfig: given === undefined, user: args.values.get('user') ?? 'admin', password };
}

/** Reads DIR/cluster.nodes and DIR/cluster.cfg; the error (not thrown) when they cannot be read or are invalid. */
export async function loadLocalCluster(dir: string): Promise<LocalCluster | Error> {
  try {
    const cluster = await loadClusterConfig({ nodesFile: join(dir, 'cluster.nodes'), clusterConfig: join(dir, 'cluster.cfg') });
    const dataNodes = cluster.nodes.nodes.filter((n) => n.mode === 'datanode');
    const first = dataNodes[0];
    return {
      dir,
      dataNodes: dataNodes.map((n) => ({ host: n.host, port: n.port, label: `${n.host}:${n.port}:${n.alias}` })),
      adminPassword: first === undefined ? undefined : nodeConfig(cluster, first.alias).settings.adminPassword,
    };
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}
