// The fault cluster against three real data nodes, one Raft group: every peer link goes through its
// proxy, an isolated leader is replaced while it still runs, the network heals to one leader, a full
// disk stops a follower while the group keeps taking writes, and healAll brings everything back.
// On a failure, the nodes' log tails are added to the message.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, ShoalClient } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, waitFor } from '../node/cluster_harness.js';
import { DiskFaultsUnsupportedError, FaultCluster, FaultClusterError, SCRATCH_TABLE_PREFIX } from './fault_cluster.js';

const GROUP = 2;
let cluster: FaultCluster;

before(async () => {
  cluster = await FaultCluster.create({ nodes: 3, groups: [{ id: GROUP }] });
});

after(async () => {
  await cluster?.destroy();
});

/** Runs the test body; a failure carries every node's log tail. */
async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const logs = cluster.aliases.map((a) => cluster.logsOf(a, 25)).join('\n');
    if (err instanceof Error) err.message += `\n${logs}`;
    throw err;
  }
}

async function clientOf(alias: string): Promise<ShoalClient> {
  return connect({ host: '127.0.0.1', port: cluster.ports[cluster.indexOf(alias)]!, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: 5000 });
}

/** The one leader every live member names, once they agree. */
async function agreedLeader(expectMembers: number): Promise<string> {
  return waitFor(`all ${expectMembers} members naming one leader`, async () => {
    const views = [...(await cluster.leaderViews(GROUP)).values()];
    return views.length === expectMembers && views[0] !== '' && views.every((v) => v === views[0]) ? views[0] : undefined;
  }, 20_000);
}

test('every peer link goes through its own proxy', () => withLogs(async () => {
  for (const from of cluster.aliases) {
    const log = readFileSync(join(cluster.home, `${from}.log`), 'utf8');
    for (const to of cluster.aliases) {
      if (to === from) continue;
      const proxy = cluster.proxy(from, to);
      assert.notEqual(proxy.port, cluster.ports[cluster.indexOf(to)]);
      assert.deepEqual(proxy.target, { host: '127.0.0.1', port: cluster.ports[cluster.indexOf(to)] });
      assert.ok(log.includes(`peer ${to} is dialled through 127.0.0.1:${proxy.port}`), `${from} dials ${to} through its proxy`);
      await waitFor(`${from}->${to} carries a connection`, () => (proxy.stats().accepted > 0 ? true : undefined));
    }
  }
  assert.throws(() => cluster.proxy('dn1', 'dn1'), (e: FaultClusterError) => e.code === 'UNKNOWN_NODE');
}));

test('an isolated leader is replaced while it still runs; healing the network leaves one leader', () => withLogs(async () => {
  const old = await cluster.leaderOf(GROUP);
  cluster.isolate(old);
  const others = cluster.aliases.filter((a) => a !== old);
  const successor = await waitFor('the other two agreeing on a new leader', async () => {
    const views = await cluster.leaderViews(GROUP);
    const named = others.map((a) => views.get(a));
    return named[0] !== undefined && named[0] !== '' && named[0] !== old && named[1] === named[0] ? named[0] : undefined;
  }, 20_000);
  assert.notEqual(successor, old);
  assert.ok(cluster.isRunning(old), 'the old leader process is still running');
  assert.ok((await cluster.leaderViews(GROUP)).has(old), 'and still answers clients');
  assert.equal(await cluster.leaderOf(GROUP), successor, 'leaderOf follows the majority, not the isolated node');

  cluster.healNetwork();
  const leader = await agreedLeader(3);
  assert.equal(await cluster.leaderOf(GROUP), leader);
}));

test('a full disk stops a follower; the group still takes writes', async (t) => withLogs(async () => {
  if (!cluster.diskFaultsSupported) {
    assert.throws(() => cluster.fillDisk('dn1'), DiskFaultsUnsupportedError);
    t.skip(`no full disk here: ${cluster.diskFaultsReason}`);
    return;
  }
  const leader = await cluster.leaderOf(GROUP);
  const follower = cluster.aliases.find((a) => a !== leader)!;
  const client = await clientOf(leader);
  try {
    await client.haStreamTable(GROUP, [{ name: 'id', type: 'STRING' }, { name: 'pad', type: 'STRING' }], 'disk_rows', 1000);
    cluster.fillDisk(follower);
    assert.ok(cluster.isDiskFull(follower));
    let batch = 0;
    const pad = 'x'.repeat(1000);
    const append = () => {
      const ids = Array.from({ length: 50 }, (_, i) => `b${batch}-${i}`);
      batch++;
      return client.append('disk_rows', { id: ids, pad: ids.map(() => pad) });
    };
    // Entries fill the last page the follower's WAL still had; soon a write needs a page it cannot get.
    await waitFor(`${follower} stopping on its full disk`, async () => {
      await append();
      return cluster.isRunning(follower) ? undefined : true;
    }, 30_000);
    const exit = cluster.exitsOf(follower).at(-1);
    assert.equal(exit?.code, 1, `${follower} exited through onFatal`);
    assert.match(cluster.logsOf(follower, 200), /ENOSPC/);
    const after = await append();
    assert.equal(after.rowsWritten, 50, 'the leader and the other follower still commit');
  } finally {
    await client.close();
  }
}));

test('healAll: every node up, one leader, writes accepted', () => withLogs(async () => {
  cluster.pause(cluster.aliases[2]!);
  cluster.oneWay('dn1', 'dn2');
  await cluster.healAll();
  for (const a of cluster.aliases) {
    assert.ok(cluster.isLive(a), `${a} runs and is not paused`);
    assert.equal(cluster.isDiskFull(a), false);
  }
  for (const a of cluster.aliases) for (const b of cluster.aliases) if (a !== b) assert.equal(cluster.proxy(a, b).mode.kind, 'pass');
  const leader = await agreedLeader(3);
  const client = await clientOf(leader);
  try {
    const probe = `${SCRATCH_TABLE_PREFIX}${GROUP}`;
    const result = await client.append(probe, { id: ['after-heal'] });
    assert.equal(result.rowsWritten, 1);
  } finally {
    await client.close();
  }
}));
