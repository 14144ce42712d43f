// `shoal local` as a newcomer runs it: a real child process that starts the cluster of a config
// directory, says where each node listens, serves clients, and stops every node on Ctrl-C (SIGINT).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../clients/shoal_client.js';
import { freePort, waitFor } from '../node/cluster_harness.js';

const shoal = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'broker', 'cli', 'shoal.js');

/** Cluster files for three data nodes on free ports in `dir`, and `shoal local` started on them. */
async function startLocal(dir: string): Promise<{ ports: number[]; child: ChildProcess; exited: Promise<number | null>; out: string }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'cluster.nodes'), ['localSite,mode', ...ports.map((p, i) => `127.0.0.1:${p}:datanode${i + 1},datanode`)].join('\n') + '\n');
  writeFileSync(join(dir, 'cluster.cfg'), 'streamingRaftGroups=2:datanode1:datanode2:datanode3\nclusterSecret=local-test-secret\nadminPassword=pw123456\n');
  const child = spawn(process.execPath, [shoal, 'local', '--config-dir', dir, '--home', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const local = { ports, child, exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))), out: '' };
  child.stdout!.on('data', (d: Buffer) => (local.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (local.out += d.toString()));
  return local;
}

test('shoal local starts every data node, prints how to connect, and Ctrl-C stops them all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-local-'));
  try {
    const local = await startLocal(dir);
    const { ports, child, exited } = local;
    try {
      await waitFor('three nodes ready', () => ((local.out.match(/ready on/g) ?? []).length === 3 ? true : undefined), 30_000);
      for (const p of ports) assert.match(local.out, new RegExp(`ws://127\\.0\\.0\\.1:${p}/client`));
      assert.match(local.out, new RegExp(`data under ${join(dir, 'data').replace(/[/.]/g, '\\$&')}`));
      const c = await connect({ host: '127.0.0.1', port: ports[0]!, userId: 'admin', password: 'pw123456' });
      const leader = await waitFor('a leader', async () => (await c.getStreamingLeader(2)) || undefined);
      assert.match(leader, /^127\.0\.0\.1:\d+:datanode[123]$/);
      await c.close();
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, local.out);
    assert.match(local.out, /stopping the local cluster/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shoal local refuses an argument it does not know instead of starting the default cluster', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-local-bad-'));
  try {
    const child = spawn(process.execPath, [shoal, 'local', '-dataDir', join(dir, 'x')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 2, err);
    assert.match(err, /local: unknown argument "-dataDir"; it takes --config-dir VALUE, --home VALUE/);
    assert.equal(existsSync(join(dir, 'shoal-data')), false, 'nothing was started');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shoal local stops its nodes when its terminal goes away (SIGHUP)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-local-hup-'));
  try {
    const local = await startLocal(dir);
    const { ports, child, exited } = local;
    try {
      await waitFor('three nodes ready', () => ((local.out.match(/ready on/g) ?? []).length === 3 ? true : undefined), 30_000);
    } finally {
      child.kill('SIGHUP');
    }
    assert.equal(await exited, 0, local.out);
    for (const p of ports) {
      await waitFor(`port ${p} closed`, () => new Promise<true | undefined>((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port: p });
        s.once('connect', () => { s.destroy(); resolve(undefined); });
        s.once('error', () => resolve(true));
      }), 10_000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
