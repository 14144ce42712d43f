// The config snippets printed in the seeds (copied verbatim into fixtures/) parse into these typed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildClusterConfig, buildAgentProcessConfig, nodeConfig } from '../../config/cluster_config.js';
import { parseConfigFile } from '../../config/config_file.js';
import { resolveSettings } from '../../config/resolve_settings.js';
import { fixture } from './fixtures.js';

const source = (name: string, file = name) => ({ file, text: fixture(name) });

test('seed 001 P1: controller.cfg, cluster.nodes and cluster.cfg (with the publicName lines) load together', () => {
  const clusterText = fixture('seed001_cluster.cfg') + fixture('seed001_cluster_publicName.cfg');
  const cluster = buildClusterConfig({
    controller: source('seed001_p1_controller.cfg', 'controller.cfg'),
    nodes: source('seed001_cluster.nodes', 'cluster.nodes'),
    cluster: { file: 'cluster.cfg', text: clusterText },
  });
  const controller = cluster.controller;
  assert.ok(controller);
  assert.equal(controller.alias, 'controller1');
  assert.equal(controller.mode, 'controller');
  assert.deepEqual(controller.site, { host: '10.0.0.80', port: 8800, alias: 'controller1' });
  const s = controller.settings;
  assert.deepEqual(
    [s.dfsReplicationFactor, s.dfsReplicaReliabilityLevel, s.dataSync, s.workerNum, s.localExecutors, s.maxConnections, s.maxMemSize, s.dfsHAMode, s.lanCluster],
    [2, 1, true, 4, 3, 512, 8, 'Raft', false],
  );
  assert.deepEqual(cluster.warnings, []);

  const datanode1 = nodeConfig(cluster, 'datanode1');
  assert.equal(datanode1.mode, 'datanode');
  assert.deepEqual(datanode1.settings.localSite, { host: '10.0.0.80', port: 8802, alias: 'datanode1' });
  const d = datanode1.settings;
  assert.deepEqual(
    [d.maxMemSize, d.maxConnections, d.workerNum, d.localExecutors, d.maxBatchJobWorker, d.OLAPCacheEngineSize, d.TSDBCacheEngineSize],
    [32, 512, 4, 3, 4, 2, 2],
  );
  assert.deepEqual([d.newValuePartitionPolicy, d.maxPubConnections, d.subExecutors, d.lanCluster, d.enableChunkGranularityConfig], ['add', 64, 4, false, true]);
  assert.equal(d.publicName, '19.56.128.21');
  assert.equal(nodeConfig(cluster, 'computenode3').settings.publicName, '19.56.128.23');
  assert.equal(nodeConfig(cluster, 'computenode2').mode, 'computenode');
});

test('seed 001: the controller publicName snippet keeps its leading space out of the value', () => {
  const file = parseConfigFile(fixture('seed001_p1_controller_publicName.cfg'), 'controller.cfg');
  assert.equal(resolveSettings(file, 'controller1').settings.publicName, '19.56.128.21');
});

test('seed 001: agent.cfg of P1, P2 and P3', () => {
  for (const [name, alias, host] of [['seed001_p1_agent.cfg', 'agent1', '10.0.0.80'], ['seed001_p2_agent.cfg', 'agent2', '10.0.0.81'], ['seed001_p3_agent.cfg', 'agent3', '10.0.0.82']] as const) {
    const { node, warnings } = buildAgentProcessConfig(source(name, 'agent.cfg'));
    assert.equal(node.alias, alias);
    assert.equal(node.mode, 'agent');
    assert.deepEqual(node.site, { host, port: 8801, alias });
    assert.deepEqual(node.settings.controllerSite, { host: '10.0.0.80', port: 8800, alias: 'controller1' });
    assert.deepEqual(node.settings.sites?.map((s) => `${s.host}:${s.port}:${s.alias}:${s.mode}`), [
      `${host}:8801:${alias}:agent`,
      '10.0.0.80:8800:controller1:controller',
      '10.0.0.81:8800:controller2:controller',
      '10.0.0.82:8800:controller3:controller',
    ]);
    assert.deepEqual([node.settings.workerNum, node.settings.localExecutors, node.settings.maxMemSize, node.settings.lanCluster], [4, 3, 4, false]);
    assert.deepEqual(warnings, []);
  }
});

test('seed 000: controller.cfg of P1 with the cluster.nodes of P1', () => {
  const cluster = buildClusterConfig({
    controller: source('seed000_p1_controller.cfg', 'controller.cfg'),
    nodes: source('seed000_p1_cluster.nodes', 'cluster.nodes'),
    cluster: { file: 'cluster.cfg', text: '' },
  });
  assert.equal(cluster.controller?.alias, 'controller1');
  assert.equal(cluster.controller?.settings.dfsHAMode, 'Raft');
  assert.equal(cluster.controller?.settings.dfsReplicationFactor, 2);
  assert.equal(cluster.controller?.settings.dfsReplicaReliabilityLevel, 1);
  assert.equal(nodeConfig(cluster, 'datanode2').site.port, 8912);
});

test('seed 000: P2 says controller2 is 10.1.1.3 but the seed\'s cluster.nodes says 10.1.1.2; we load it and warn', () => {
  const cluster = buildClusterConfig({
    controller: source('seed000_p2_controller.cfg', 'controller.cfg'),
    nodes: source('seed000_p1_cluster.nodes', 'cluster.nodes'),
    cluster: { file: 'cluster.cfg', text: '' },
  });
  assert.equal(cluster.controller?.site.host, '10.1.1.3');
  assert.deepEqual(cluster.warnings.map((w) => [w.code, w.file, w.line]), [['SITE_MISMATCH', 'controller.cfg', 1]]);
  assert.match(cluster.warnings[0]?.message ?? '', /cluster\.nodes:3 says 10\.1\.1\.2:8900:controller2/);
});

test('seed 000: agent.cfg on P1 and on the new machine P4', () => {
  const p1 = buildAgentProcessConfig(source('seed000_p1_agent.cfg', 'agent.cfg')).node;
  assert.equal(p1.alias, 'agent1');
  assert.equal(p1.settings.sites?.length, 4);
  const p4 = buildAgentProcessConfig(source('seed000_p4_agent.cfg', 'agent.cfg')).node;
  assert.deepEqual(p4.site, { host: '10.1.1.7', port: 8901, alias: 'agent2' });
  assert.deepEqual(p4.settings.controllerSite, { host: '10.1.1.1', port: 8900, alias: 'controller1' });
  assert.deepEqual(p4.settings.sites?.map((s) => s.alias), ['agent2', 'controller1', 'controller2', 'controller3']);
});

test('seed 003: streamingHAMode and streamingRaftGroups in cluster.cfg, checked against six data nodes', () => {
  const nodes = ['localSite,mode', '192.168.1.10:19150:controller1,controller']
    .concat([1, 2, 3, 4, 5, 6].map((i) => `192.168.1.1${Math.ceil(i / 2)}:1915${i}:DataNode${i},datanode`))
    .join('\n');
  const cluster = buildClusterConfig({ nodes: { file: 'cluster.nodes', text: nodes }, cluster: source('seed003_streaming.cfg', 'cluster.cfg') });
  assert.deepEqual(cluster.streamingRaftGroups, [
    { id: 2, members: ['DataNode1', 'DataNode3', 'DataNode5'] },
    { id: 3, members: ['DataNode2', 'DataNode4', 'DataNode6'] },
  ]);
  const dn1 = nodeConfig(cluster, 'DataNode1').settings;
  assert.equal(dn1.streamingHAMode, 'raft');
  assert.equal(dn1.streamingHAPurgeInterval, 300);
  assert.deepEqual(dn1.streamingRaftGroups?.map((g) => g.id), [2, 3]);
  assert.deepEqual(cluster.warnings, []);
});

test('seed 004: master and slave replication settings', () => {
  const master = resolveSettings(parseConfigFile(fixture('seed004_master_cluster.cfg'), 'cluster.cfg'), 'datanode1').settings;
  assert.equal(master.clusterReplicationMode, 'master');
  assert.equal(master.clusterReplicationWorkDir, '/dolphindb/server/cluster1/replication');
  assert.equal(master.clusterReplicationSyncPersistence, false);
  const masterCtl = resolveSettings(parseConfigFile(fixture('seed004_master_controller.cfg'), 'controller.cfg'), 'controller1').settings;
  assert.equal(masterCtl.clusterReplicationSlaveNum, 1);
  const slaveCtl = resolveSettings(parseConfigFile(fixture('seed004_slave_controller.cfg'), 'controller.cfg'), 'controller1').settings;
  assert.deepEqual(slaveCtl.clusterReplicationMasterCtl, { host: '10.0.0.1', port: 8848 });
  const slave = resolveSettings(parseConfigFile(fixture('seed004_slave_cluster.cfg'), 'cluster.cfg'), 'datanode1').settings;
  assert.equal(slave.clusterReplicationMode, 'slave');
  assert.equal(slave.clusterReplicationExecutionUsername, 'admin');
  assert.equal(slave.clusterReplicationExecutionPassword, '123456');
});
