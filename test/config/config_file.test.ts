import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigFile } from '../../config/config_file.js';
import { configErrorOf } from './config_error_helper.js';

test('key=value lines, # comments, blank lines and surrounding whitespace', () => {
  const file = parseConfigFile('# memory\n\n  maxMemSize = 32  \r\n\tworkerNum=4\n', 'cluster.cfg');
  assert.deepEqual(file.entries, [
    { line: 3, aliasPattern: undefined, key: 'maxMemSize', rawValue: '32' },
    { line: 4, aliasPattern: undefined, key: 'workerNum', rawValue: '4' },
  ]);
  assert.deepEqual(file.warnings, []);
});

test('alias.key=value keeps the alias part; the value may contain dots and colons', () => {
  const file = parseConfigFile('datanode1.publicName=19.56.128.21\n%-datanode.volumes=/VOL1\n', 'cluster.cfg');
  assert.deepEqual(file.entries.map((e) => [e.aliasPattern, e.key, e.rawValue]), [
    ['datanode1', 'publicName', '19.56.128.21'],
    ['%-datanode', 'volumes', '/VOL1'],
  ]);
});

test('a # inside a value is part of the value (passwords may contain one)', () => {
  const file = parseConfigFile('clusterReplicationExecutionPassword=ab#cd\n', 'cluster.cfg');
  assert.equal(file.entries[0]?.rawValue, 'ab#cd');
});

test('unknown keys are kept and warned about with file and line; a case slip gets a suggestion', () => {
  const file = parseConfigFile('workerNum=4\nchunkCacheEngineMemSize=2\nmaxmemsize=8\n', 'cluster.cfg');
  assert.deepEqual(file.entries.map((e) => e.key), ['workerNum', 'chunkCacheEngineMemSize', 'maxmemsize']);
  assert.deepEqual(file.warnings.map((w) => [w.code, w.file, w.line]), [['UNKNOWN_KEY', 'cluster.cfg', 2], ['UNKNOWN_KEY', 'cluster.cfg', 3]]);
  assert.match(file.warnings[0]?.message ?? '', /unknown key chunkCacheEngineMemSize/);
  assert.match(file.warnings[1]?.message ?? '', /did you mean maxMemSize\?/);
});

test('a key set twice for the same nodes is warned about, naming the earlier line', () => {
  const file = parseConfigFile('workerNum=4\nworkerNum=8\ndn1.workerNum=2\n', 'cluster.cfg');
  assert.deepEqual(file.warnings.map((w) => [w.code, w.line]), [['REPEATED_KEY', 2]]);
  assert.match(file.warnings[0]?.message ?? '', /line 1/);
});

test('syntax errors: no "=", empty key, empty alias, spaces in the key, bad alias characters', () => {
  const cases: Array<[string, string]> = [
    ['maxMemSize 32', 'BAD_LINE'],
    ['=32', 'BAD_LINE'],
    ['.maxMemSize=32', 'BAD_LINE'],
    ['datanode1.=32', 'BAD_LINE'],
    ['max MemSize=32', 'BAD_LINE'],
    ['data/node.maxMemSize=32', 'BAD_ALIAS'],
  ];
  for (const [line, code] of cases) {
    const error = configErrorOf(() => parseConfigFile(`# first\n${line}\n`, 'cluster.cfg'));
    assert.equal(error.code, code, line);
    assert.equal(error.line, 2, line);
    assert.equal(error.file, 'cluster.cfg', line);
  }
});

test('bad integers, booleans and enums name the key, the line and the accepted values', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['workerNum=four', 'BAD_VALUE', /workerNum: "four" is not an integer.*integer >= 1/],
    ['workerNum=4.5', 'BAD_VALUE', /not an integer/],
    ['workerNum=0', 'OUT_OF_RANGE', /workerNum: 0 is out of range/],
    ['dfsReplicaReliabilityLevel=2', 'OUT_OF_RANGE', /integer 0\.\.1/],
    ['streamingHAPurgeInterval=0', 'OUT_OF_RANGE', /seconds/],
    ['maxMemSize=-1', 'OUT_OF_RANGE', /maxMemSize/],
    ['maxMemSize=lots', 'BAD_VALUE', /not a number/],
    ['dataSync=yes', 'BAD_VALUE', /dataSync: "yes" is not a boolean/],
    ['dfsHAMode=Paxos', 'BAD_VALUE', /one of Raft/],
    ['newValuePartitionPolicy=drop', 'BAD_VALUE', /one of add, skip, fail/],
    ['volumes=VOL1', 'BAD_VALUE', /not an absolute path/],
    ['volumes=/VOL1,,/VOL2', 'BAD_VALUE', /empty item/],
    ['localSite=10.0.0.80:8800', 'BAD_SITE', /host:port:alias/],
    ['clusterReplicationMasterCtl=10.0.0.1:88480', 'BAD_PORT', /out of range/],
    ['publicName=', 'BAD_VALUE', /publicName has no value/],
  ];
  for (const [line, code, message] of cases) {
    const error = configErrorOf(() => parseConfigFile(`mode=controller\n${line}\n`, 'controller.cfg'));
    assert.equal(error.code, code, line);
    assert.equal(error.line, 2, line);
    assert.match(error.message, /^controller\.cfg:2: /, line);
    assert.match(error.message, message, line);
  }
});

test('a bad value in a per-node line is reported even if no node uses it', () => {
  const error = configErrorOf(() => parseConfigFile('nosuchnode.workerNum=many\n', 'cluster.cfg'));
  assert.equal(error.code, 'BAD_VALUE');
  assert.equal(error.line, 1);
});

test('every bad line of a file is reported in one error, in line order', () => {
  const error = configErrorOf(() => parseConfigFile('workerNum=x\nmaxMemSize=8\ndataSync=2\nfoo\n', 'cluster.cfg'));
  assert.deepEqual(error.all.map((e) => [e.line, e.code]), [[1, 'BAD_VALUE'], [3, 'BAD_VALUE'], [4, 'BAD_LINE']]);
  assert.equal(error.line, 1);
});
