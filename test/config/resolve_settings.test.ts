import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aliasMatches } from '../../config/alias_pattern.js';
import { parseConfigFile } from '../../config/config_file.js';
import { resolveSettings } from '../../config/resolve_settings.js';
import { fixture } from './fixtures.js';

test('% matches any run of characters, including none', () => {
  assert.ok(aliasMatches('%-datanode', 'P1-datanode'));
  assert.ok(aliasMatches('%-datanode', 'P12-datanode'));
  assert.ok(aliasMatches('%-datanode', '-datanode'));
  assert.ok(aliasMatches('%', 'anything'));
  assert.ok(aliasMatches('data%1', 'datanode1'));
  assert.ok(!aliasMatches('%-datanode', 'P1-datanode2'));
  assert.ok(!aliasMatches('%-datanode', 'P1-computenode'));
});

test('? matches exactly one character', () => {
  assert.ok(aliasMatches('P?-datanode', 'P1-datanode'));
  assert.ok(!aliasMatches('P?-datanode', 'P12-datanode'));
  assert.ok(!aliasMatches('P?-datanode', 'P-datanode'));
  assert.ok(aliasMatches('datanode?', 'datanode3'));
});

test('matching is case sensitive and whole-alias, and "-" is literal', () => {
  assert.ok(!aliasMatches('%-DataNode', 'P1-datanode'));
  assert.ok(!aliasMatches('datanode', 'datanode1'));
  assert.ok(!aliasMatches('a-b', 'aXb'));
});

test('seed 001 Q7: %-datanode.volumes=/VOL1 applies to P1-datanode and P2-datanode only', () => {
  const file = parseConfigFile(fixture('seed001_volumes_wildcard.cfg'), 'cluster.cfg');
  assert.deepEqual(resolveSettings(file, 'P1-datanode').settings.volumes, ['/VOL1']);
  assert.deepEqual(resolveSettings(file, 'P2-datanode').settings.volumes, ['/VOL1']);
  assert.equal(resolveSettings(file, 'P1-computenode').settings.volumes, undefined);
});

test('seed 001 Q7: volumes=/VOL1/<ALIAS>,/VOL2/<ALIAS> becomes each node\'s own paths', () => {
  const file = parseConfigFile(fixture('seed001_volumes_alias.cfg'), 'cluster.cfg');
  assert.deepEqual(resolveSettings(file, 'P1-datanode').settings.volumes, ['/VOL1/P1-datanode', '/VOL2/P1-datanode']);
  assert.deepEqual(resolveSettings(file, 'P2-datanode').settings.volumes, ['/VOL1/P2-datanode', '/VOL2/P2-datanode']);
});

test('seed 001 Q7: per-node volumes lines', () => {
  const file = parseConfigFile(fixture('seed001_volumes_per_node.cfg'), 'cluster.cfg');
  assert.deepEqual(resolveSettings(file, 'P1-datanode').settings.volumes, ['/DFS/P1-datanode']);
  assert.deepEqual(resolveSettings(file, 'P2-datanode').settings.volumes, ['/DFS/P2-datanode']);
});

test('<ALIAS> is substituted in unknown keys too, and in per-node lines', () => {
  const file = parseConfigFile('someFutureDir=/x/<ALIAS>\n%.persistenceDir=/p/<ALIAS>/<ALIAS>\n', 'cluster.cfg');
  const resolved = resolveSettings(file, 'dn1');
  assert.equal(resolved.unknownSettings.get('someFutureDir'), '/x/dn1');
  assert.equal(resolved.settings.persistenceDir, '/p/dn1/dn1');
});

test('override rule: exact alias beats wildcard beats global, whatever the line order', () => {
  const text = ['P1-datanode.workerNum=16', '%-datanode.workerNum=8', 'workerNum=4', 'P?-datanode.maxMemSize=2', 'maxMemSize=32'].join('\n');
  const file = parseConfigFile(text, 'cluster.cfg');
  const p1 = resolveSettings(file, 'P1-datanode');
  assert.equal(p1.settings.workerNum, 16);
  assert.deepEqual(p1.origins.get('workerNum'), { file: 'cluster.cfg', line: 1, writtenAs: 'P1-datanode.workerNum' });
  assert.equal(p1.settings.maxMemSize, 2);
  const p2 = resolveSettings(file, 'P2-datanode');
  assert.equal(p2.settings.workerNum, 8);
  assert.equal(p2.origins.get('workerNum')?.line, 2);
  const other = resolveSettings(file, 'computenode1');
  assert.equal(other.settings.workerNum, 4);
  assert.equal(other.settings.maxMemSize, 32);
});

test('override rule: within the same tier the later line wins', () => {
  const file = parseConfigFile('workerNum=4\n%node1.workerNum=6\ndata%.workerNum=7\nworkerNum=5\n', 'cluster.cfg');
  assert.equal(resolveSettings(file, 'datanode1').settings.workerNum, 7);
  assert.equal(resolveSettings(file, 'computenode2').settings.workerNum, 5);
});

test('defaults apply to keys not set; keys without a default are undefined', () => {
  const settings = resolveSettings(parseConfigFile('', 'cluster.cfg'), 'dn1').settings;
  assert.equal(settings.dataSync, true);
  assert.equal(settings.lanCluster, true);
  assert.equal(settings.streamingHAPurgeInterval, 300);
  assert.equal(settings.dfsReplicationFactor, 2);
  assert.equal(settings.dfsReplicaReliabilityLevel, 0);
  assert.equal(settings.workerNum, undefined);
  assert.equal(settings.streamingRaftGroups, undefined);
});
