// config/: files in, typed configuration out. See docs/config.md.

export { ConfigError, WHOLE_FILE, type ConfigErrorCode, type ConfigWarning, type ConfigWarningCode } from './config_error.js';
export { NODE_MODES, siteText, type NodeMode, type Site, type SiteWithMode, type HostPort } from './site.js';
export { parseClusterNodes, CLUSTER_NODES_HEADER, type ClusterNode, type ClusterNodes } from './cluster_nodes.js';
export { parseConfigFile, ALIAS_PLACEHOLDER, type ConfigEntry, type ConfigFile } from './config_file.js';
export { aliasMatches } from './alias_pattern.js';
export { parseStreamingRaftGroups, checkRaftGroupMembers, type StreamingRaftGroup } from './raft_groups.js';
export { SETTINGS, type SettingKey, type SettingValues } from './settings_schema.js';
export { resolveSettings, type ResolvedSettings, type SettingOrigin } from './resolve_settings.js';
export { type NodeConfig, type ProcessConfig } from './node_config.js';
export { buildControllerConfig } from './controller_config.js';
export { buildAgentConfig } from './agent_config.js';
export { buildClusterConfig, buildAgentProcessConfig, nodeConfig, type ClusterConfig, type ConfigSource } from './cluster_config.js';
export { loadClusterConfig, loadAgentConfig, readConfigSource, type ClusterConfigPaths } from './load_config.js';
