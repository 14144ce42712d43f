// The fault cluster against three real data nodes, one Raft group: every peer link goes through its
// proxy, an isolated leader is replaced while it still runs, the network heals to one leader, a full
// disk stops a follower while the group keeps taking writes, and healAll brings everything back.
// On a failure, the nodes' log tails are added to the message. The seeded fault choice is checked
// against a fake cluster that records what each fault asked for, then one fault runs for real.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, ShoalClient } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, waitFor } from '../node/cluster_harness.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { DiskFaultsUnsupportedError, FaultCluster, FaultClusterError, SCRATCH_TABLE_PREFIX } from './fault_cluster.js';
import { FAULT_KINDS, Fault, FaultNotApplicableError, FaultTarget, chooseFault } from './faults.js';

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
    // Whichever write hits the full disk first stops it: the WAL's (ENOSPC) or the state store's
    // (RocksDB says only that the batch was not applied).
    assert.match(cluster.logsOf(follower, 200), /ENOSPC|<WRITE_FAILED> group \d+: state store write/);
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

/** Records what faults ask of the cluster; dn1 leads every group. */
class RecordingCluster implements FaultTarget {
  readonly aliases = ['dn1', 'dn2', 'dn3'];
  readonly groups = [{ id: 2, members: ['dn1', 'dn2', 'dn3'] }];
  readonly calls: string[] = [];
  readonly down = new Set<string>();
  constructor(readonly diskFaultsSupported: boolean) {}
  membersOf(): string[] { return this.groups[0]!.members; }
  isRunning(a: string | number): boolean { return !this.down.has(String(a)); }
  isLive(a: string | number): boolean { return this.isRunning(a); }
  async leaderOf(): Promise<string> { return 'dn1'; }
  async start(a: string | number): Promise<void> { this.calls.push(`start ${a}`); this.down.delete(String(a)); }
  async kill(a: string | number): Promise<void> { this.calls.push(`kill ${a}`); this.down.add(String(a)); }
  pause(a: string | number): void { this.calls.push(`pause ${a}`); }
  resume(a: string | number): void { this.calls.push(`resume ${a}`); }
  isolate(a: string | number, how?: string): void { this.calls.push(`isolate ${a} ${how}`); }
  oneWay(f: string | number, t: string | number, how?: string): void { this.calls.push(`oneWay ${f}>${t} ${how}`); }
  partition(sides: string[][], how?: string): void { this.calls.push(`partition ${sides.map((s) => s.join('+')).join('|')} ${how}`); }
  healNetwork(): void { this.calls.push('healNetwork'); }
  async restartGroup(g: number, signal?: string): Promise<void> { this.calls.push(`restartGroup ${g} ${signal}`); }
  fillDisk(a: string | number): void { this.calls.push(`fillDisk ${a}`); }
  freeDisk(a: string | number): void { this.calls.push(`freeDisk ${a}`); }
}

async function plan(seed: number, disk: boolean, count: number): Promise<{ names: string[]; kinds: Set<string>; calls: string[] }> {
  const rng = new SeededRandom(seed);
  const fake = new RecordingCluster(disk);
  const names: string[] = [];
  const kinds = new Set<string>();
  for (let i = 0; i < count; i++) {
    const fault: Fault = chooseFault(rng, fake);
    kinds.add(fault.kind);
    await fault.apply(fake);
    names.push(fault.name);
    await fault.heal?.(fake);
  }
  return { names, kinds, calls: fake.calls };
}

test('faults: a seed replays the same plan; every kind comes up; each names the node it hit', async () => {
  const a = await plan(7, true, 120);
  const b = await plan(7, true, 120);
  assert.deepEqual(a.names, b.names);
  assert.deepEqual(a.calls, b.calls);
  assert.notDeepEqual((await plan(8, true, 120)).names, a.names, 'another seed, another plan');
  assert.deepEqual([...a.kinds].sort(), [...FAULT_KINDS].sort());
  assert.ok(a.names.includes('kill -9 dn1 (leader of group 2)'), a.names.join('\n'));
  assert.ok(a.names.some((n) => /^kill -9 dn[23] \(follower of group 2\)$/.test(n)));
  assert.ok(a.names.some((n) => /^one-way: dn1 -> dn[23] dropped/.test(n)) && a.names.some((n) => /^one-way: dn[23] -> dn1 dropped/.test(n)));
  assert.ok(a.names.some((n) => n.startsWith('partition [dn1] | [')), 'the leader alone on the minority side');
  assert.ok(a.calls.includes('isolate dn1 cut') && a.calls.includes('pause dn1') && a.calls.includes('resume dn1'));
  // Every kill is followed by the start of the same node at heal.
  a.calls.forEach((call, i) => { if (call.startsWith('kill ')) assert.equal(a.calls[i + 1], `start ${call.slice(5)}`); });
  assert.ok(!(await plan(7, false, 120)).kinds.has('full-disk'), 'no full disk where it is unsupported');
});

test('faults: one that would leave a group without a quorum refuses', async () => {
  const fake = new RecordingCluster(true);
  fake.down.add('dn3');
  const rng = new SeededRandom(1);
  let refused = 0;
  for (let i = 0; i < 40; i++) {
    const fault = chooseFault(rng, fake);
    if (!['kill-leader', 'kill-follower', 'pause-leader', 'isolate-leader', 'full-disk'].includes(fault.kind)) continue;
    await assert.rejects(fault.apply(fake), (e: FaultNotApplicableError) => e.code === 'NOT_APPLICABLE' && /quorum is 2/.test(e.message));
    refused++;
  }
  assert.ok(refused > 5);
  assert.deepEqual(fake.calls, [], 'nothing was done');
});

test('a chosen fault on the real cluster: kill -9 the leader, a new one is elected, heal restarts it', () => withLogs(async () => {
  const rng = new SeededRandom(3);
  let fault = chooseFault(rng, cluster);
  while (fault.kind !== 'kill-leader') fault = chooseFault(rng, cluster);
  const leader = await cluster.leaderOf(GROUP);
  await fault.apply(cluster);
  assert.equal(fault.name, `kill -9 ${leader} (leader of group ${GROUP})`);
  assert.equal(cluster.isRunning(leader), false);
  assert.notEqual(await cluster.leaderOf(GROUP), leader);
  await fault.heal!(cluster);
  assert.ok(cluster.isRunning(leader));
  await cluster.waitUntilWritable(30_000);
}));
