// The seed's checkpoint scheme end to end, on one node: a Raft group writes through the real WAL,
// its applied entries go to the state store through a GroupStateWriter, a checkpoint makes the
// state durable and deletes the log it covers; then a power loss, and recovery skips the entries
// at or below the checkpoint LSN and replays the rest, with nothing lost and nothing applied twice.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultiRaftHost } from '../../broker/host/multi_raft_host.js';
import { recoverNode } from '../../broker/host/wal_records.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { EntryType, Role } from '../../broker/raft/types.js';
import { NodeCheckpointer } from '../../storage/checkpointer.js';
import { GroupStateWriter, loadCheckpoint } from '../../storage/state/group_state_writer.js';
import { MemoryStateStore } from '../../storage/state/memory_state_store.js';
import { MemoryWalFiles } from '../../storage/wal/memory_wal_files.js';
import { WriteAheadLog } from '../../storage/wal/write_ahead_log.js';

const GROUP = 2;
const encoder = new TextEncoder();
const keyOf = (lsn: number) => encoder.encode(`row/${String(lsn).padStart(8, '0')}`);

async function settle(turns = 30): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

function startNode(files: MemoryWalFiles, store: MemoryStateStore) {
  const { wal } = WriteAheadLog.open({ files, maxSegmentBytes: 8 * 1024 });
  const writer = new GroupStateWriter(store, { group: GROUP, maxQueuedBytes: 1 << 20 });
  let host: MultiRaftHost | undefined;
  const pump = () => {
    while (host!.process()) { /* rounds without records complete at once */ }
  };
  host = new MultiRaftHost({
    nodeId: 1, electionTick: 10, heartbeatTick: 2, random: new SeededRandom(3),
    wal: { append: (r) => wal.append(r), sync: (done) => wal.sync((e) => { done(e); pump(); }), beginCheckpoint: () => wal.beginCheckpoint() },
    transport: { send: () => undefined },
    newStateMachine: () => ({ apply: () => undefined, snapshot: () => new Uint8Array(), restore: () => undefined }),
    events: {
      // Every applied LSN reaches the writer, with or without ops, so its LSN is the applied LSN.
      applied: (_group, entry) => {
        const data = entry.type === EntryType.Normal && entry.data.length > 0;
        writer.enqueue(entry.index, data ? [{ op: 'put', key: keyOf(entry.index), value: entry.data }] : []);
      },
    },
  });
  const checkpointer = new NodeCheckpointer({ host, wal, stateOf: (g) => (g === GROUP ? writer : undefined), pump });
  return { host, wal, writer, checkpointer, pump };
}

test('a checkpoint deletes the log it covers; after a power loss the state is whole, the covered entries skipped', async () => {
  const files = new MemoryWalFiles();
  const store = new MemoryStateStore();
  const { host, checkpointer, pump } = startNode(files, store);
  host.createGroup(GROUP, { voters: [1], learners: [], witnesses: [] });
  host.campaign(GROUP);
  pump();
  await settle();
  assert.equal(host.group(GROUP).status().role, Role.Leader);

  const written = new Map<number, Uint8Array>();
  const propose = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const data = encoder.encode(`payload-${written.size}-${'x'.repeat(400)}`);
      const lsn = host.group(GROUP).raft.raftLog.lastIndex() + 1;
      host.propose(GROUP, data);
      written.set(lsn, data);
      pump();
      await settle(2);
    }
    await settle();
  };
  await propose(100);
  const segmentsBefore = files.list().length;
  assert.ok(segmentsBefore > 4, `the log spans several segments (${segmentsBefore})`);

  const report = await checkpointer.runOnce();
  const snapshotLsn = report.snapshotLsns.get(GROUP)!;
  assert.equal(snapshotLsn, host.group(GROUP).raft.raftLog.applied);
  assert.ok(report.releasedSegments.length >= segmentsBefore - 1, `released ${report.releasedSegments.length} of ${segmentsBefore}`);
  assert.ok(files.list().length <= 2);

  await propose(10); // after the checkpoint: only in the log, and in the store unflushed
  store.crash(); // power loss: the store keeps what its last flush made durable...
  files.crash(() => 0); // ...and the log what it synced

  const checkpoint = await loadCheckpoint(store, GROUP);
  assert.ok(checkpoint && checkpoint.lsn >= snapshotLsn);
  const { recovery } = WriteAheadLog.open({ files, maxSegmentBytes: 8 * 1024 });
  const storage = recoverNode(recovery.records).groups.get(GROUP)!.storage;
  assert.equal(storage.snapshot()!.metadata.index, snapshotLsn, 'the Raft log starts at the checkpoint');
  const first = storage.firstIndex();
  for (const r of recovery.records) {
    if (r.kind === 'entries') for (const e of r.entries) assert.ok(e.index > snapshotLsn, `entry ${e.index} at or below the checkpoint survived in the log`);
  }

  // Replay what the state does not hold yet: entries above the checkpoint LSN, in order. Up to the
  // last entry, not the recovered commit: a round that only moves commit is not synced (MustSync),
  // so commit may come back one round short; a lone voter commits its whole log again once elected.
  assert.ok(storage.hardState.commit >= storage.lastIndex() - 1, `recovered commit ${storage.hardState.commit}, last ${storage.lastIndex()}`);
  let replayed = 0;
  for (const e of storage.entries(first, storage.lastIndex() + 1, Number.POSITIVE_INFINITY) ?? []) {
    if (e.index <= checkpoint.lsn || e.type !== EntryType.Normal || e.data.length === 0) continue;
    assert.equal(await store.get(keyOf(e.index)), undefined, `entry ${e.index} above the checkpoint was already in the store`);
    await store.write([{ op: 'put', key: keyOf(e.index), value: e.data }]);
    replayed++;
  }
  assert.equal(replayed, 10);
  for (const [lsn, data] of written) assert.deepEqual(await store.get(keyOf(lsn)), data, `row of LSN ${lsn}`);
});

test('the checkpointer runs every streamingHAPurgeInterval seconds', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { checkpointer } = startNode(new MemoryWalFiles(), new MemoryStateStore());
  let runs = 0;
  checkpointer.runOnce = () => {
    runs++;
    return Promise.resolve({ snapshotLsns: new Map(), skipped: [], releasedSegments: [] });
  };
  checkpointer.start(300, (e) => assert.fail(String(e)));
  t.mock.timers.tick(299_000);
  assert.equal(runs, 0);
  t.mock.timers.tick(1_000);
  assert.equal(runs, 1);
  t.mock.timers.tick(600_000);
  assert.equal(runs, 3);
  checkpointer.stop();
  t.mock.timers.tick(600_000);
  assert.equal(runs, 3);
});
