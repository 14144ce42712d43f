// The `shoal` executable as a user runs it: a real child process, bounded in time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shoal = join(root, 'dist', 'broker', 'cli', 'shoal.js');
const fixtures = join(root, 'test', 'config', 'fixtures');

function run(...args: string[]) {
  return spawnSync(process.execPath, [shoal, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

test('shoal local runs the groups of config/local and reports a clean, converged run', () => {
  const r = run('local', '--seed', '11', '--fault-ms', '3000');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /raft group 2: datanode1, datanode2, datanode3/);
  assert.match(r.stdout, /raft group 3: datanode1, datanode2, datanode3/);
  assert.match(r.stdout, /no safety violation; every group elected a leader/);
});

test('shoal local with the same seed prints the same run', () => {
  const a = run('local', '--seed', '12', '--fault-ms', '2000');
  const b = run('local', '--seed', '12', '--fault-ms', '2000');
  assert.equal(a.status, 0);
  assert.equal(a.stdout.replace(/config: .*\n/, ''), b.stdout.replace(/config: .*\n/, ''));
});

test('shoal check names the file and line of a bad streamingRaftGroups member, exit 2', () => {
  const r = run('check', '-nodesFile', join(fixtures, 'seed001_cluster.nodes'), '-clusterConfig', join(fixtures, 'seed003_streaming.cfg'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /seed003_streaming\.cfg:2: Raft group 2 lists DataNode1, which is not in/);
});

test('shoal -mode datanode says plainly that it is not built yet, exit 2', () => {
  const r = run('-mode', 'datanode', '-home', '/tmp/x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not built yet/);
});
