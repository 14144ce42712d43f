// The only file of config/ that touches the disk: reads the files named by -config,
// -nodesFile and -clusterConfig and hands their text to the pure builders.

import { readFile } from 'node:fs/promises';
import { ConfigError, WHOLE_FILE } from './config_error.js';
import { buildClusterConfig, buildAgentProcessConfig, type ClusterConfig, type ConfigSource } from './cluster_config.js';
import type { ProcessConfig } from './node_config.js';

export interface ClusterConfigPaths {
  /** -nodesFile, e.g. config/cluster.nodes */
  readonly nodesFile: string;
  /** -clusterConfig, e.g. config/cluster.cfg */
  readonly clusterConfig: string;
  /** -config of a controller, e.g. config/controller.cfg; omit to load only the cluster files. */
  readonly config?: string;
}

export async function readConfigSource(path: string): Promise<ConfigSource> {
  try {
    return { file: path, text: await readFile(path, 'utf8') };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, WHOLE_FILE, { code: 'FILE_UNREADABLE', problem: `cannot read the file (${reason})`, action: 'Check the path given on the command line and the file permissions' });
  }
}

export async function loadClusterConfig(paths: ClusterConfigPaths): Promise<ClusterConfig> {
  const [nodes, cluster, controller] = await Promise.all([
    readConfigSource(paths.nodesFile),
    readConfigSource(paths.clusterConfig),
    paths.config === undefined ? undefined : readConfigSource(paths.config),
  ]);
  return buildClusterConfig(controller === undefined ? { nodes, cluster } : { nodes, cluster, controller });
}

/** -mode agent -config config/agent.cfg */
export async function loadAgentConfig(configPath: string): Promise<ProcessConfig> {
  return buildAgentProcessConfig(await readConfigSource(configPath));
}
