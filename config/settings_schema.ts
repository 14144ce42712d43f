// The one table of known config keys: type, default and meaning. Add a key here and it is
// parsed, validated, typed in `SettingValues` and listed in docs/config.md's table.
// Keys are the DolphinDB names the seeds use, spelled the same (case sensitive).

import * as t from './value_types.js';
import { NODE_MODES } from './site.js';
import { parseStreamingRaftGroups, type StreamingRaftGroup } from './raft_groups.js';

export interface Setting<T, HasDefault extends boolean> {
  readonly type: t.ValueType<T>;
  readonly meaning: string;
  readonly defaultValue: HasDefault extends true ? T : undefined;
  /** Never echoed in error messages; whoever prints settings must hide it too. */
  readonly secret: boolean;
}

type AnySetting = Setting<unknown, boolean>;

function setting<T>(type: t.ValueType<T>, meaning: string): Setting<T, false>;
function setting<T>(type: t.ValueType<T>, meaning: string, defaultValue: T): Setting<T, true>;
function setting<T>(type: t.ValueType<T>, meaning: string, defaultValue?: T): Setting<T, boolean> {
  return { type, meaning, defaultValue, secret: false } as Setting<T, boolean>;
}

function secretSetting<T>(type: t.ValueType<T>, meaning: string): Setting<T, false> {
  return { type, meaning, defaultValue: undefined, secret: true };
}

const raftGroups: t.ValueType<StreamingRaftGroup[]> = {
  describe: 'comma separated id:alias:alias:alias (id > 1, at least 3 data nodes)',
  parse: parseStreamingRaftGroups,
};

export const SETTINGS = {
  // Identity (controller.cfg, agent.cfg; data nodes take theirs from cluster.nodes)
  mode: setting(t.oneOf(NODE_MODES), 'Role of this process'),
  localSite: setting(t.site, "This node's host:port:alias"),
  controllerSite: setting(t.site, 'agent.cfg: the controller this agent talks to first; same as that controller\'s localSite'),
  sites: setting(t.agentSites, 'agent.cfg: this agent, then every controller, as host:port:alias:mode'),
  publicName: setting(t.text, 'External address shown for the web interface'),
  lanCluster: setting(t.boolean, '1: nodes share a LAN and heartbeats use UDP; 0: no UDP (cloud servers)', true),

  // Controllers and DFS metadata (controller.cfg)
  dfsHAMode: setting(t.oneOf(['Raft'] as const), 'Raft: the controllers form one Raft group holding the metadata'),
  dfsReplicationFactor: setting(t.integer({ min: 1 }), 'Replicas of each DFS chunk; must be > 1 with dfsHAMode=Raft', 2),
  dfsReplicaReliabilityLevel: setting(t.integer({ min: 0, max: 1 }), '1: replicas of a chunk go to different machines; 0: the same machine is allowed', 0),
  dfsMetaDir: setting(t.text, 'Where the controller keeps DFS metadata'),
  chunkMetaDir: setting(t.text, 'Where a data node keeps chunk metadata'),
  dataSync: setting(t.boolean, '1: fsync the log before acknowledging a write; 0: faster, may lose acknowledged writes on power loss', true),

  // Resources
  workerNum: setting(t.integer({ min: 1 }), 'Worker threads for requests'),
  localExecutors: setting(t.integer({ min: 0 }), 'Local executor threads'),
  maxBatchJobWorker: setting(t.integer({ min: 0 }), 'Threads for batch jobs'),
  maxConnections: setting(t.integer({ min: 1 }), 'Connections a node accepts at once'),
  maxMemSize: setting(t.decimal({ min: 0 }), 'Memory limit of a node, in GB'),
  OLAPCacheEngineSize: setting(t.decimal({ min: 0 }), 'OLAP cache engine size, in GB'),
  TSDBCacheEngineSize: setting(t.decimal({ min: 0 }), 'TSDB cache engine size, in GB'),
  newValuePartitionPolicy: setting(t.oneOf(['add', 'skip', 'fail'] as const), 'What an append does with a value outside the existing VALUE partitions'),
  enableChunkGranularityConfig: setting(t.boolean, 'Allow chunk granularity to be chosen per database'),
  volumes: setting(t.listOf(t.absolutePath), 'Data directories of a data node; <ALIAS> becomes the alias. Absent: <home>/<alias>'),

  // Streaming and HA streaming (cluster.cfg)
  maxPubConnections: setting(t.integer({ min: 0 }), 'Subscriber connections a publishing node accepts'),
  subExecutors: setting(t.integer({ min: 0 }), 'Threads that run subscription handlers'),
  persistenceDir: setting(t.text, 'Where stream tables are persisted; different for data nodes on the same machine'),
  streamingHAMode: setting(t.oneOf(['raft'] as const), 'raft: HA stream tables replicated by Raft groups'),
  streamingRaftGroups: setting(raftGroups, 'The streaming Raft groups and their data nodes'),
  streamingHADir: setting(t.text, 'Where streaming Raft logs live; different for data nodes on the same machine. Absent: <home>/log/streamLog'),
  streamingHAPurgeInterval: setting(t.seconds({ min: 1 }), 'Seconds between checkpoints that let old Raft log be deleted', 300),
  clusterName: setting(t.text, 'Name of this cluster: the first part of every subscription topic (<clusterName>_<group>/<table>/<action>)', 'shoal'),
  clusterSecret: secretSetting(t.text, 'Shared secret the data nodes prove to each other (HMAC) before exchanging Raft traffic; required when a node has peers'),
  adminPassword: secretSetting(t.text, 'Password of the admin account created at the first start; absent: a random one is generated and printed once'),

  // Asynchronous cross-cluster replication (seed 004)
  clusterReplicationSlaveNum: setting(t.integer({ min: 1 }), 'controller.cfg of the master cluster: number of slave clusters'),
  clusterReplicationMasterCtl: setting(t.hostPort, 'controller.cfg of a slave cluster: host:port of any controller of the master cluster'),
  clusterReplicationMode: setting(t.oneOf(['master', 'slave'] as const), 'cluster.cfg: whether this cluster is the master or a slave'),
  clusterReplicationWorkDir: setting(t.text, 'cluster.cfg of the master: where replication tasks are kept'),
  clusterReplicationSyncPersistence: setting(t.boolean, 'cluster.cfg of the master: persist write tasks synchronously (safer) or asynchronously (faster)'),
  clusterReplicationExecutionUsername: setting(t.text, 'cluster.cfg of a slave: user that executes the replicated tasks'),
  clusterReplicationExecutionPassword: secretSetting(t.text, 'cluster.cfg of a slave: that user\'s password'),
} satisfies Record<string, AnySetting>;

export type SettingKey = keyof typeof SETTINGS;

type ValueOf<S> = S extends Setting<infer T, true> ? T : S extends Setting<infer T, false> ? T | undefined : never;

/** Every known key with its typed value; keys without a default are undefined when absent. */
export type SettingValues = { readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> };

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key);
}

export function settingFor(key: SettingKey): AnySetting {
  return SETTINGS[key] as AnySetting;
}

/** For an unknown key, the known key it probably meant (keys are case sensitive). */
export function knownKeyIgnoringCase(key: string): SettingKey | undefined {
  const lower = key.toLowerCase();
  return (Object.keys(SETTINGS) as SettingKey[]).find((k) => k.toLowerCase() === lower);
}

export function defaultSettings(): Record<SettingKey, unknown> {
  const values = {} as Record<SettingKey, unknown>;
  for (const key of Object.keys(SETTINGS) as SettingKey[]) values[key] = settingFor(key).defaultValue;
  return values;
}
