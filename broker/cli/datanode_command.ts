// `shoal -mode datanode -home DIR -nodesFile F -clusterConfig F [-config F | -alias A | -localSite h:p:a] [-logFile F]`:
// one data node in the foreground, until SIGINT or SIGTERM. Which node it is comes from -alias,
// -localSite, or the localSite line of -config (as DolphinDB's datanode config files carry it).

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadClusterConfig, parseConfigFile, readConfigSource } from '../../config/index.js';
import { requireLocalSite } from '../../config/node_config.js';
import { DataNode } from '../node/data_node.js';

export const DATANODE_USAGE = `  shoal -mode datanode -home DIR -nodesFile F -clusterConfig F [-alias A | -localSite host:port:alias | -config F] [-logFile F]
      Runs one data node of the cluster in the foreground; Ctrl-C (SIGINT) or SIGTERM stops it cleanly.`;

export class DataNodeUsageError extends Error {}

export async function runDataNode(flag: (name: string) => string | undefined): Promise<void> {
  const home = flag('-home');
  const nodesFile = flag('-nodesFile');
  const clusterConfig = flag('-clusterConfig');
  if (!home || !nodesFile || !clusterConfig) throw new DataNodeUsageError('-mode datanode needs -home, -nodesFile and -clusterConfig');
  const alias = await aliasOf(flag);
  const logFile = flag('-logFile');
  if (logFile) mkdirSync(dirname(logFile), { recursive: true });
  const log = (line: string) => {
    const text = `${new Date().toISOString()} ${line}`;
    if (logFile) appendFileSync(logFile, text + '\n');
    else console.log(text);
  };
  const cluster = await loadClusterConfig({ nodesFile, clusterConfig });
  for (const w of cluster.warnings) log(`warning: ${w.file}:${w.line}: ${w.message}`);
  const fatal = (error: Error) => {
    log(`FATAL: ${error.message}; stopping so the node restarts from its log`);
    console.error(`shoal ${alias}: ${error.message}`);
    process.exit(1);
  };
  const peerRoutes = peerRoutesOf(process.env['SHOAL_PEER_ROUTES']);
  const node = await DataNode.start({ cluster, alias, home, log, announce: (line) => { console.log(line); log(line); }, onFatal: fatal, peerRoutes });
  console.log(`shoal ${alias} ready on ${node.config.site.host}:${node.config.site.port}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    node.stop().then(() => { log('stopped'); process.exit(0); }, (e: unknown) => { log(`stop failed: ${String(e)}`); process.exit(1); });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function aliasOf(flag: (name: string) => string | undefined): Promise<string> {
  const alias = flag('-alias');
  if (alias) return alias;
  const site = flag('-localSite');
  if (site) {
    const parts = site.split(':');
    if (parts.length !== 3 || !parts[2]) throw new DataNodeUsageError(`-localSite needs host:port:alias, got "${site}"`);
    return parts[2];
  }
  const config = flag('-config');
  if (!config) throw new DataNodeUsageError('say which node this is: -alias A, -localSite host:port:alias, or -config F with a localSite line');
  const source = await readConfigSource(config);
  return requireLocalSite(parseConfigFile(source.text, source.file), '127.0.0.1:8902:datanode1').site.alias;
}

/**
 * SHOAL_PEER_ROUTES="dn2=127.0.0.1:41002,dn3=127.0.0.1:41003": dial those peers there instead of at
 * their sites (fault tests put proxies between nodes). Unset in production.
 */
export function peerRoutesOf(text: string | undefined): Map<string, { host: string; port: number }> {
  const routes = new Map<string, { host: string; port: number }>();
  if (text === undefined || text.trim() === '') return routes;
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z0-9_.-]+)=([^:\s]+):(\d{1,5})\s*$/.exec(part);
    const port = m === null ? NaN : Number(m[3]);
    if (m === null || port < 1 || port > 65535) {
      throw new DataNodeUsageError(`SHOAL_PEER_ROUTES: "${part}" is not alias=host:port (e.g. dn2=127.0.0.1:41002)`);
    }
    routes.set(m[1]!, { host: m[2]!, port });
  }
  return routes;
}
