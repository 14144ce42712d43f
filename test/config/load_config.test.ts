// The loader is the only part that reads files; it reads the seed fixtures from disk here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClusterConfig, loadAgentConfig } from '../../config/load_config.js';
import { nodeConfig } from '../../config/cluster_config.js';
import { ConfigError } from '../../config/config_error.js';
import { FIXTURES_DIR } from './fixtures.js';

test('loads seed 001 controller.cfg, cluster.nodes and cluster.cfg from disk', async () => {
  const config = await loadClusterConfig({
    config: FIXTURES_DIR + 'seed001_p1_controller.cfg',
    nodesFile: FIXTURES_DIR + 'seed001_cluster.nodes',
    clusterConfig: FIXTURES_DIR + 'seed001_cluster.cfg',
  });
  assert.equal(config.controller?.alias, 'controller1');
  assert.equal(config.nodes.nodes.length, 12);
  assert.equal(nodeConfig(config, 'datanode2').settings.maxMemSize, 32);
});

test('without -config only the cluster files are loaded', async () => {
  const config = await loadClusterConfig({ nodesFile: FIXTURES_DIR + 'seed000_p4_cluster.nodes', clusterConfig: FIXTURES_DIR + 'seed001_cluster.cfg' });
  assert.equal(config.controller, undefined);
  assert.equal(config.nodes.byAlias.get('agent2')?.host, '10.1.1.7');
});

test('loads an agent.cfg from disk', async () => {
  const { node } = await loadAgentConfig(FIXTURES_DIR + 'seed001_p2_agent.cfg');
  assert.equal(node.alias, 'agent2');
});

test('a missing file is a ConfigError naming the path', async () => {
  const path = FIXTURES_DIR + 'no_such.nodes';
  await assert.rejects(loadClusterConfig({ nodesFile: path, clusterConfig: FIXTURES_DIR + 'seed001_cluster.cfg' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'FILE_UNREADABLE');
    assert.equal(error.file, path);
    assert.ok(error.message.startsWith(`${path}: cannot read the file`));
    return true;
  });
});
