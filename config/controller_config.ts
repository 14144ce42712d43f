// controller.cfg, checked against cluster.nodes: the controller must be listed there as a
// controller, and an HA metadata group (dfsHAMode=Raft) needs 3 controllers and more than one
// replica per chunk (seed 000, section 3).

import { ConfigError, WHOLE_FILE, type ConfigWarning } from './config_error.js';
import type { ConfigFile } from './config_file.js';
import { resolveSettings } from './resolve_settings.js';
import { makeNodeConfig, lastGlobalEntry, requireLocalSite, type ProcessConfig } from './node_config.js';
import { nodesWithMode, type ClusterNodes } from './cluster_nodes.js';
import { siteText } from './site.js';

export const MIN_HA_CONTROLLERS = 3;

export function buildControllerConfig(file: ConfigFile, nodes: ClusterNodes): ProcessConfig {
  const { site, line } = requireLocalSite(file, '10.0.0.80:8800:controller1');
  const listed = nodes.byAlias.get(site.alias);
  if (listed === undefined) {
    throw new ConfigError(file.file, line, { code: 'NODE_NOT_IN_CLUSTER', problem: `${site.alias} is not listed in ${nodes.file}`, action: `Add ${siteText(site)},controller to ${nodes.file}, or fix the alias (aliases are case sensitive)` });
  }
  if (listed.mode !== 'controller') {
    throw new ConfigError(file.file, line, { code: 'MODE_MISMATCH', problem: `${site.alias} is a ${listed.mode} in ${nodes.file}:${listed.line}, not a controller`, action: 'Use the alias of a controller, or fix its mode in the nodes file' });
  }
  const warnings: ConfigWarning[] = [...file.warnings];
  if (listed.host !== site.host || listed.port !== site.port) {
    warnings.push({ code: 'SITE_MISMATCH', file: file.file, line, message: `localSite is ${siteText(site)} but ${nodes.file}:${listed.line} says ${siteText(listed)}; other nodes will use the nodes file` });
  }
  const resolved = resolveSettings(file, site.alias);
  const modeEntry = lastGlobalEntry(file, 'mode');
  if (modeEntry !== undefined && resolved.settings.mode !== 'controller') {
    throw new ConfigError(file.file, modeEntry.line, { code: 'MODE_MISMATCH', problem: `mode is ${resolved.settings.mode} in a controller's config`, action: 'Write mode=controller, or start this file with the right -mode' });
  }
  checkHaRequirements(file, nodes, resolved.settings.dfsHAMode, resolved.settings.dfsReplicationFactor);
  return { node: makeNodeConfig(site, 'controller', resolved), warnings };
}

function checkHaRequirements(file: ConfigFile, nodes: ClusterNodes, haMode: string | undefined, replicationFactor: number): void {
  if (haMode !== 'Raft') return;
  const line = lastGlobalEntry(file, 'dfsHAMode')?.line ?? WHOLE_FILE;
  const controllers = nodesWithMode(nodes, 'controller').length;
  if (controllers < MIN_HA_CONTROLLERS) {
    throw new ConfigError(file.file, line, { code: 'HA_REQUIREMENT', problem: `dfsHAMode=Raft needs at least ${MIN_HA_CONTROLLERS} controllers, but ${nodes.file} lists ${controllers}`, action: `Add controllers to ${nodes.file}, or remove dfsHAMode` });
  }
  if (replicationFactor <= 1) {
    const factorLine = lastGlobalEntry(file, 'dfsReplicationFactor')?.line ?? line;
    throw new ConfigError(file.file, factorLine, { code: 'HA_REQUIREMENT', problem: `dfsHAMode=Raft needs dfsReplicationFactor greater than 1, but it is ${replicationFactor}`, action: 'Set dfsReplicationFactor=2 or more' });
  }
}
