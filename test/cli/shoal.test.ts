// The `shoal` executable as a user runs it: a real child process, bounded in time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shoal = join(root, 'dist', 'broker', 'cli', 'shoal.js');
const fixtures = join(root, 'test', 'config', 'fixtures');

function run(...args: string[]) {
  return spawnSync(process.execPath, [shoal, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

test('shoal check names the file and line of a bad streamingRaftGroups member, exit 2', () => {
  const r = run('check', '-nodesFile', join(fixtures, 'seed001_cluster.nodes'), '-clusterConfig', join(fixtures, 'seed003_streaming.cfg'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /seed003_streaming\.cfg:2: Raft group 2 lists DataNode1, which is not in/);
});

test('shoal -mode datanode without its cluster files names what is missing, exit 2', () => {
  const r = run('-mode', 'datanode', '-home', '/tmp/x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /-mode datanode needs -home, -nodesFile and -clusterConfig/);
});

test('shoal -mode controller says plainly that it is not built yet, exit 2', () => {
  const r = run('-mode', 'controller', '-home', '/tmp/x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not built yet/);
});

test('a failure no command foresaw (a WAL directory that is a file) is one line naming the command, exit 1, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cli-'));
  try {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = run('wal-check', '-walDir', file);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^shoal: wal-check failed: /);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SHOAL_PEER_ROUTES: alias=host:port pairs, and a clear error for anything else', async () => {
  const { peerRoutesOf } = await import('../../broker/cli/datanode_command.js');
  assert.deepEqual([...peerRoutesOf('dn2=127.0.0.1:41002, dn3=127.0.0.1:41003')], [['dn2', { host: '127.0.0.1', port: 41002 }], ['dn3', { host: '127.0.0.1', port: 41003 }]]);
  assert.equal(peerRoutesOf(undefined).size, 0);
  assert.equal(peerRoutesOf('').size, 0);
  for (const bad of ['dn2', 'dn2=127.0.0.1', 'dn2=127.0.0.1:0', 'dn2=127.0.0.1:70000', '=1.2.3.4:5']) {
    assert.throws(() => peerRoutesOf(bad), /SHOAL_PEER_ROUTES: .* is not alias=host:port/, bad);
  }
});
