// Checks across files: cluster.cfg and controller.cfg against cluster.nodes; agent.cfg on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildClusterConfig, buildAgentProcessConfig, nodeConfig } from '../../config/cluster_config.js';
import { configErrorOf } from './config_error_helper.js';

const NODES = [
  'localSite,mode',
  '10.0.0.80:8800:controller1,controller',
  '10.0.0.81:8800:controller2,controller',
  '10.0.0.82:8800:controller3,controller',
  '10.0.0.80:8801:agent1,agent',
  '10.0.0.80:8802:datanode1,datanode',
  '10.0.0.81:8802:datanode2,datanode',
  '10.0.0.82:8802:datanode3,datanode',
  '10.0.0.80:8803:computenode1,computenode',
].join('\n');

function cluster(clusterText: string, controllerText?: string, nodesText = NODES) {
  const sources = { nodes: { file: 'cluster.nodes', text: nodesText }, cluster: { file: 'cluster.cfg', text: clusterText } };
  return buildClusterConfig(controllerText === undefined ? sources : { ...sources, controller: { file: 'controller.cfg', text: controllerText } });
}

test('a streaming Raft group member that is a compute node is reported at its cluster.cfg line', () => {
  const error = configErrorOf(() => cluster('streamingHAMode=raft\nstreamingRaftGroups=2:datanode1:datanode2:computenode1\n'));
  assert.equal(error.code, 'RAFT_MEMBER_NOT_DATANODE');
  assert.equal(error.file, 'cluster.cfg');
  assert.equal(error.line, 2);
  assert.match(error.message, /computenode1, which is a computenode \(cluster\.nodes:9\)/);
});

test('a streaming Raft group member missing from cluster.nodes is reported', () => {
  const error = configErrorOf(() => cluster('streamingHAMode=raft\nstreamingRaftGroups=2:datanode1:datanode2:datanode9\n'));
  assert.equal(error.code, 'RAFT_MEMBER_NOT_DATANODE');
  assert.match(error.message, /datanode9, which is not in cluster\.nodes/);
});

test('streamingRaftGroups errors from cluster.cfg keep their line (id 1, 2 members, duplicate id)', () => {
  const cases: Array<[string, string]> = [
    ['1:datanode1:datanode2:datanode3', 'BAD_RAFT_GROUP'],
    ['2:datanode1:datanode2', 'BAD_RAFT_GROUP'],
    ['2:datanode1:datanode2:datanode3,2:datanode3:datanode2:datanode1', 'DUPLICATE_GROUP_ID'],
  ];
  for (const [groups, code] of cases) {
    const error = configErrorOf(() => cluster(`streamingHAMode=raft\nstreamingRaftGroups=${groups}\n`));
    assert.equal(error.code, code, groups);
    assert.deepEqual([error.file, error.line], ['cluster.cfg', 2], groups);
  }
});

test('errors in several files are thrown together', () => {
  const error = configErrorOf(() => cluster('workerNum=x\n', undefined, 'localSite,mode\nh:1:a,robot\n'));
  assert.deepEqual(error.all.map((e) => [e.file, e.line, e.code]), [['cluster.nodes', 2, 'UNKNOWN_MODE'], ['cluster.cfg', 1, 'BAD_VALUE']]);
});

test('warnings: alias lines matching no node, site and mode set in cluster.cfg, groups without HA mode', () => {
  const config = cluster('datanode9.workerNum=4\nP%-datanode.volumes=/VOL1\nmode=datanode\nstreamingRaftGroups=2:datanode1:datanode2:datanode3\nsomeKey=1\n');
  assert.deepEqual(config.warnings.map((w) => [w.code, w.line]).sort(), [
    ['IGNORED_SETTING', 3], ['IGNORED_SETTING', 4], ['UNKNOWN_KEY', 5], ['UNMATCHED_ALIAS', 1], ['UNMATCHED_ALIAS', 2],
  ]);
  assert.equal(nodeConfig(config, 'datanode1').settings.mode, 'datanode');
  assert.equal(nodeConfig(config, 'datanode1').unknownSettings.get('someKey'), '1');
});

test('nodeConfig: unknown alias, and agents or other controllers, are refused with a reason', () => {
  const config = cluster('', 'localSite=10.0.0.80:8800:controller1\n');
  assert.equal(nodeConfig(config, 'controller1').mode, 'controller');
  const unknown = configErrorOf(() => nodeConfig(config, 'Datanode1'));
  assert.deepEqual([unknown.code, unknown.file], ['NODE_NOT_IN_CLUSTER', 'cluster.nodes']);
  const agent = configErrorOf(() => nodeConfig(config, 'agent1'));
  assert.deepEqual([agent.code, agent.line], ['MODE_MISMATCH', 5]);
  assert.equal(configErrorOf(() => nodeConfig(config, 'controller2')).code, 'MODE_MISMATCH');
});

test('controller.cfg: localSite missing, not listed, listed as another mode, wrong mode key', () => {
  const missing = configErrorOf(() => cluster('', 'dfsReplicationFactor=2\n'));
  assert.deepEqual([missing.code, missing.file, missing.line], ['MISSING_KEY', 'controller.cfg', 0]);
  assert.match(missing.message, /^controller\.cfg: localSite is not set\. Add a line localSite=/);
  const notListed = configErrorOf(() => cluster('', 'localSite=10.0.0.90:8800:controller9\n'));
  assert.deepEqual([notListed.code, notListed.line], ['NODE_NOT_IN_CLUSTER', 1]);
  const wrongRole = configErrorOf(() => cluster('', '# ctl\nlocalSite=10.0.0.80:8802:datanode1\n'));
  assert.deepEqual([wrongRole.code, wrongRole.line], ['MODE_MISMATCH', 2]);
  const wrongMode = configErrorOf(() => cluster('', 'mode=agent\nlocalSite=10.0.0.80:8800:controller1\n'));
  assert.deepEqual([wrongMode.code, wrongMode.line], ['MODE_MISMATCH', 1]);
});

test('dfsHAMode=Raft needs 3 controllers and dfsReplicationFactor > 1', () => {
  const twoControllers = NODES.split('\n').filter((l) => !l.includes('controller3')).join('\n');
  const few = configErrorOf(() => cluster('', 'localSite=10.0.0.80:8800:controller1\ndfsHAMode=Raft\n', twoControllers));
  assert.deepEqual([few.code, few.line], ['HA_REQUIREMENT', 2]);
  assert.match(few.problem, /at least 3 controllers, but cluster\.nodes lists 2/);
  const oneReplica = configErrorOf(() => cluster('', 'localSite=10.0.0.80:8800:controller1\ndfsReplicationFactor=1\ndfsHAMode=raft\n'));
  assert.deepEqual([oneReplica.code, oneReplica.line], ['HA_REQUIREMENT', 2]);
  assert.equal(cluster('', 'localSite=10.0.0.80:8800:controller1\ndfsHAMode=raft\n').controller?.settings.dfsHAMode, 'Raft');
});

test('agent.cfg: required keys, the agent first in sites, controllerSite among the controllers', () => {
  const agent = (text: string) => () => buildAgentProcessConfig({ file: 'agent.cfg', text });
  const base = 'localSite=10.0.0.80:8801:agent1\ncontrollerSite=10.0.0.80:8800:controller1\n';
  const sites = 'sites=10.0.0.80:8801:agent1:agent,10.0.0.80:8800:controller1:controller\n';
  assert.equal(configErrorOf(agent(base)).code, 'MISSING_KEY');
  assert.match(configErrorOf(agent(base)).problem, /sites is not set/);
  assert.match(configErrorOf(agent('localSite=10.0.0.80:8801:agent1\n' + sites)).problem, /controllerSite is not set/);
  const otherAgent = configErrorOf(agent(base + 'sites=10.0.0.81:8801:agent2:agent,10.0.0.80:8800:controller1:controller\n'));
  assert.deepEqual([otherAgent.code, otherAgent.line], ['BAD_VALUE', 3]);
  const controllerFirst = configErrorOf(agent(base + 'sites=10.0.0.80:8800:controller1:controller,10.0.0.80:8801:agent1:agent\n'));
  assert.deepEqual([controllerFirst.code, controllerFirst.line], ['BAD_VALUE', 3]);
  assert.match(controllerFirst.problem, /first entry of sites is not an agent/);
  const stranger = configErrorOf(agent('localSite=10.0.0.80:8801:agent1\ncontrollerSite=10.0.0.99:8800:controller9\n' + sites));
  assert.deepEqual([stranger.code, stranger.line], ['BAD_VALUE', 2]);
  const badMode = configErrorOf(agent(base + sites + 'sites=10.0.0.80:8801:agent1:agent,10.0.0.80:8800:controller1:boss\n'));
  assert.deepEqual([badMode.code, badMode.line], ['UNKNOWN_MODE', 4]);
  assert.equal(buildAgentProcessConfig({ file: 'agent.cfg', text: base + sites }).node.alias, 'agent1');
});
