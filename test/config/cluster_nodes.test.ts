import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterNodes } from '../../config/cluster_nodes.js';
import { configErrorOf as errorOf } from './config_error_helper.js';
import { fixture } from './fixtures.js';

test('seed 001 cluster.nodes: 3 controllers, 3 agents, 3 data nodes, 3 compute nodes', () => {
  const nodes = parseClusterNodes(fixture('seed001_cluster.nodes'), 'cluster.nodes');
  assert.equal(nodes.nodes.length, 12);
  const count = (mode: string) => nodes.nodes.filter((n) => n.mode === mode).length;
  assert.deepEqual([count('controller'), count('agent'), count('datanode'), count('computenode')], [3, 3, 3, 3]);
  assert.deepEqual(nodes.byAlias.get('computenode2'), { host: '10.0.0.81', port: 8803, alias: 'computenode2', mode: 'computenode', line: 10 });
  assert.deepEqual(nodes.nodes[0], { host: '10.0.0.80', port: 8800, alias: 'controller1', mode: 'controller', line: 2 });
});

test('seed 000 cluster.nodes after adding agent2 on P4', () => {
  const nodes = parseClusterNodes(fixture('seed000_p4_cluster.nodes'), 'cluster.nodes');
  assert.deepEqual(nodes.nodes.map((n) => n.alias), ['controller1', 'controller2', 'controller3', 'agent1', 'agent2', 'datanode1', 'datanode2']);
  assert.equal(nodes.byAlias.get('agent2')?.host, '10.1.1.7');
  assert.equal(nodes.byAlias.get('datanode2')?.port, 8912);
});

test('seed 001 FAQ: an empty first line is reported with the file, line 1 and what to do', () => {
  const text = '\n' + fixture('seed001_cluster.nodes');
  const error = errorOf(() => parseClusterNodes(text, '/home/DolphinDB/server/clusterDemo/config/cluster.nodes'));
  assert.equal(error.code, 'EMPTY_FIRST_LINE');
  assert.equal(error.file, '/home/DolphinDB/server/clusterDemo/config/cluster.nodes');
  assert.equal(error.line, 1);
  assert.match(error.message, /^\/home\/DolphinDB\/server\/clusterDemo\/config\/cluster\.nodes:1: the first line is empty/);
  assert.match(error.action, /Remove the empty line\(s\) at the top/);
});

test('a first line of only spaces counts as empty too', () => {
  assert.equal(errorOf(() => parseClusterNodes('   \r\nlocalSite,mode\r\n1.1.1.1:1:a,datanode\r\n', 'n')).code, 'EMPTY_FIRST_LINE');
});

test('an empty file and a header without nodes are errors', () => {
  assert.equal(errorOf(() => parseClusterNodes('', 'n')).code, 'EMPTY_FILE');
  assert.equal(errorOf(() => parseClusterNodes('localSite,mode\n', 'n')).code, 'EMPTY_FILE');
});

test('a wrong header names what was found', () => {
  const error = errorOf(() => parseClusterNodes('site,mode\n10.0.0.80:8800:controller1,controller\n', 'cluster.nodes'));
  assert.equal(error.code, 'BAD_HEADER');
  assert.equal(error.line, 1);
  assert.match(error.message, /"site,mode"/);
});

test('CRLF line endings, a BOM, blank and comment lines after the header are accepted', () => {
  const nodes = parseClusterNodes('\uFEFFlocalSite,mode\r\n\r\n# data\r\n 10.0.0.80:8802:datanode1 , datanode \r\n', 'n');
  assert.deepEqual(nodes.nodes, [{ host: '10.0.0.80', port: 8802, alias: 'datanode1', mode: 'datanode', line: 4 }]);
});

test('bad localSite values: each names its line and problem', () => {
  const cases: Array<[string, string]> = [
    ['10.0.0.80:8802,datanode', 'BAD_SITE'],
    [':8802:datanode1,datanode', 'BAD_HOST'],
    ['10.0.0.80:port:datanode1,datanode', 'BAD_PORT'],
    ['10.0.0.80:0:datanode1,datanode', 'BAD_PORT'],
    ['10.0.0.80:65536:datanode1,datanode', 'BAD_PORT'],
    ['10.0.0.80:8802:,datanode', 'BAD_ALIAS'],
    ['10.0.0.80:8802:data.node1,datanode', 'BAD_ALIAS'],
    ['10.0.0.80:8802:datanode1', 'BAD_LINE'],
  ];
  for (const [line, code] of cases) {
    const error = errorOf(() => parseClusterNodes(`localSite,mode\n${line}\n`, 'cluster.nodes'));
    assert.equal(error.code, code, line);
    assert.equal(error.line, 2, line);
    assert.match(error.message, /^cluster\.nodes:2: /, line);
  }
});

test('the port range edges 1 and 65535 are valid', () => {
  const nodes = parseClusterNodes('localSite,mode\nh:1:a,datanode\nh:65535:b,datanode\n', 'n');
  assert.deepEqual(nodes.nodes.map((n) => n.port), [1, 65535]);
});

test('an unknown mode is rejected and the valid modes are listed', () => {
  const error = errorOf(() => parseClusterNodes('localSite,mode\n10.0.0.80:8802:datanode1,datanod\n', 'cluster.nodes'));
  assert.equal(error.code, 'UNKNOWN_MODE');
  assert.match(error.message, /controller, agent, datanode, computenode/);
});

test('duplicate alias points at the first use; aliases differing in case are distinct nodes', () => {
  const error = errorOf(() => parseClusterNodes('localSite,mode\nh:1:dn1,datanode\nh:2:dn1,datanode\n', 'cluster.nodes'));
  assert.equal(error.code, 'DUPLICATE_ALIAS');
  assert.equal(error.line, 3);
  assert.match(error.problem, /line 2/);
  const nodes = parseClusterNodes('localSite,mode\nh:1:DataNode1,datanode\nh:2:datanode1,datanode\n', 'n');
  assert.equal(nodes.byAlias.size, 2);
});

test('two nodes on the same host:port are rejected', () => {
  const error = errorOf(() => parseClusterNodes('localSite,mode\nh:1:a,datanode\nh:1:b,datanode\n', 'n'));
  assert.equal(error.code, 'DUPLICATE_SITE');
  assert.equal(error.line, 3);
});

test('all bad lines of the file are reported in one error', () => {
  const error = errorOf(() => parseClusterNodes('localSite,mode\nh:x:a,datanode\nh:2:b,datanode\nh:3:c,router\n', 'n'));
  assert.deepEqual(error.all.map((e) => [e.line, e.code]), [[2, 'BAD_PORT'], [4, 'UNKNOWN_MODE']]);
  assert.match(error.message, /and 1 more/);
});
