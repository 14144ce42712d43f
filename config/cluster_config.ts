// The whole cluster as a controller sees it: cluster.nodes, cluster.cfg and (optionally) its own
// controller.cfg, parsed and checked against each other. Pure: texts in, typed config out.
// Each file reports all its bad lines at once; problems from several files are thrown together.

import { ConfigError, throwIfAny, WHOLE_FILE, type ConfigWarning } from './config_error.js';
import { parseClusterNodes, type ClusterNodes } from './cluster_nodes.js';
import { parseConfigFile, type ConfigFile } from './config_file.js';
import { aliasMatches } from './alias_pattern.js';
import { checkRaftGroupMembers, parseStreamingRaftGroups, type StreamingRaftGroup } from './raft_groups.js';
import { resolveSettings } from './resolve_settings.js';
import { makeNodeConfig, type NodeConfig, type ProcessConfig } from './node_config.js';
import { buildControllerConfig } from './controller_config.js';
import { buildAgentConfig } from './agent_config.js';

export interface ConfigSource {
  /** Shown in every message; normally the path as given on the command line. */
  readonly file: string;
  readonly text: string;
}

export interface ClusterConfig {
  readonly nodes: ClusterNodes;
  readonly clusterFile: ConfigFile;
  /** This controller's own config, when controller.cfg was given. */
  readonly controller: NodeConfig | undefined;
  /** The groups set for every node (no alias part), checked against cluster.nodes. */
  readonly streamingRaftGroups: readonly StreamingRaftGroup[];
  readonly warnings: readonly ConfigWarning[];
}

export function buildClusterConfig(sources: { nodes: ConfigSource; cluster: ConfigSource; controller?: ConfigSource }): ClusterConfig {
  const errors: ConfigError[] = [];
  const nodes = collect(errors, () => parseClusterNodes(sources.nodes.text, sources.nodes.file));
  const clusterFile = collect(errors, () => parseConfigFile(sources.cluster.text, sources.cluster.file));
  const controllerSource = sources.controller;
  const controllerFile = controllerSource && collect(errors, () => parseConfigFile(controllerSource.text, controllerSource.file));
  throwIfAny(errors);
  // throwIfAny returned, so every parse above succeeded.
  const checkedNodes = nodes!;
  const checkedCluster = clusterFile!;

  const groups = checkRaftGroupLines(checkedCluster, checkedNodes);
  const controller = controllerFile === undefined ? undefined : buildControllerConfig(controllerFile, checkedNodes);
  const warnings = [
    ...(controller?.warnings ?? []),
    ...checkedCluster.warnings,
    ...unmatchedAliasWarnings(checkedCluster, checkedNodes),
    ...ignoredSettingWarnings(checkedCluster, checkedNodes),
  ];
  return { nodes: checkedNodes, clusterFile: checkedCluster, controller: controller?.node, streamingRaftGroups: groups, warnings };
}

export function buildAgentProcessConfig(source: ConfigSource): ProcessConfig {
  return buildAgentConfig(parseConfigFile(source.text, source.file));
}

/**
 * The config a data node or compute node runs with: cluster.cfg resolved for its alias, identity
 * from cluster.nodes. For this controller's alias, its own config. Agents and other controllers
 * read their own files, which this cluster view does not have.
 */
export function nodeConfig(cluster: ClusterConfig, alias: string): NodeConfig {
  if (cluster.controller?.alias === alias) return cluster.controller;
  const node = cluster.nodes.byAlias.get(alias);
  if (node === undefined) {
    throw new ConfigError(cluster.nodes.file, WHOLE_FILE, { code: 'NODE_NOT_IN_CLUSTER', problem: `no node is named ${alias} (aliases are case sensitive)`, action: `Add it to ${cluster.nodes.file} or use one of ${[...cluster.nodes.byAlias.keys()].join(', ')}` });
  }
  if (node.mode !== 'datanode' && node.mode !== 'computenode') {
    throw new ConfigError(cluster.nodes.file, node.line, { code: 'MODE_MISMATCH', problem: `${alias} is a ${node.mode}; its settings are in its own ${node.mode}.cfg, not ${cluster.clusterFile.file}`, action: `Load it with -config pointing at its ${node.mode}.cfg` });
  }
  return makeNodeConfig(node, node.mode, resolveSettings(cluster.clusterFile, alias));
}

function collect<T>(errors: ConfigError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors.push(...error.all);
    return undefined;
  }
}

/** Every streamingRaftGroups line, whatever nodes it applies to, must name only data nodes. */
function checkRaftGroupLines(file: ConfigFile, nodes: ClusterNodes): readonly StreamingRaftGroup[] {
  const errors: ConfigError[] = [];
  let globalGroups: readonly StreamingRaftGroup[] = [];
  for (const entry of file.entries.filter((e) => e.key === 'streamingRaftGroups')) {
    const parsed = parseStreamingRaftGroups(entry.rawValue);
    const checked = parsed.ok ? checkRaftGroupMembers(parsed.value, nodes) : parsed;
    if (!checked.ok) errors.push(new ConfigError(file.file, entry.line, checked.why));
    else if (entry.aliasPattern === undefined) globalGroups = checked.value;
  }
  throwIfAny(errors);
  return globalGroups;
}

function unmatchedAliasWarnings(file: ConfigFile, nodes: ClusterNodes): ConfigWarning[] {
  return file.entries
    .filter((e) => e.aliasPattern !== undefined && !nodes.nodes.some((n) => aliasMatches(e.aliasPattern!, n.alias)))
    .map((e) => ({ code: 'UNMATCHED_ALIAS', file: file.file, line: e.line, message: `${e.aliasPattern}.${e.key} matches no node in ${nodes.file}; it has no effect until such a node is added` }));
}

function ignoredSettingWarnings(file: ConfigFile, nodes: ClusterNodes): ConfigWarning[] {
  const warnings: ConfigWarning[] = file.entries
    .filter((e) => e.key === 'localSite' || e.key === 'mode')
    .map((e) => ({ code: 'IGNORED_SETTING', file: file.file, line: e.line, message: `${e.key} is ignored here; a data node's site and mode come from ${nodes.file}` }));
  const groups = file.entries.find((e) => e.key === 'streamingRaftGroups');
  const haMode = file.entries.some((e) => e.key === 'streamingHAMode');
  if (groups !== undefined && !haMode) {
    warnings.push({ code: 'IGNORED_SETTING', file: file.file, line: groups.line, message: 'streamingRaftGroups has no effect without streamingHAMode=raft' });
  }
  return warnings;
}
