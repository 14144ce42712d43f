// The history checker on crafted histories: a clean one passes; each anomaly, alone and combined with
// another, is named, counted and shown with an example naming the table, offset and id; then seeded
// simulated runs pass clean and every seeded single mutation of them is caught.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../broker/raft/random.js';
import { ANOMALY_DEFINITIONS, ANOMALY_NAMES, AnomalyName, MalformedHistoryError, Verdict, checkHistory, formatVerdict } from './checker.js';
import { MUTATORS, generateCleanHistory } from './checker_generate.js';
import { AppendOp, Delivery, History, ReplicaRead } from './history.js';

// ---- a small clean history -------------------------------------------------------------------------

const NODES = ['dn1', 'dn2', 'dn3'];

function op(process: string, table: string, ids: string[], at: number, outcome: AppendOp['outcome'], ack?: { firstOffset: number; rowsWritten: number; repeated?: boolean }): AppendOp {
  const a: AppendOp = { kind: 'append', process, table, ids, invokedAtMs: at, completedAtMs: at + 5, outcome, ...ack };
  if (outcome !== 'ok') a.error = outcome === 'fail' ? '<Busy> retry later' : '<OutcomeUnknown> connection closed';
  return a;
}

function rowsOf(ids: string[], from = 0): ReplicaRead['rows'] {
  return ids.slice(from).map((id, i) => ({ offset: from + i, id }));
}

function deliver(subscriber: string, table: string, ids: string[], from: number, count: number, at = 1000): Delivery[] {
  return Array.from({ length: count }, (_, i) => ({ subscriber, table, offset: from + i, id: ids[from + i]!, atMs: at + i }));
}

const T1 = ['a1', 'a2', 'a3', 'a4'];
const K1 = ['x1', 'x2', 'x3', 'x4'];

/**
 * t1 (unkeyed): a1,a2 ok at 0; b1 fail; a3 unknown and applied at 2; b2,b3 unknown and not applied;
 * a4 ok at 3, and its retry acknowledged as repeated. k1 (keyed): x1,x2 unknown and applied; their
 * retry with x3 writes only x3; x4 ok, and again with all rows dropped. dn3 purged t1's offset 0.
 */
function cleanHistory(): History {
  return {
    seed: 7,
    tables: [
      { name: 't1', keyed: false, replicas: NODES },
      { name: 'k1', keyed: true, replicas: NODES },
    ],
    appends: [
      op('p1', 't1', ['a1', 'a2'], 10, 'ok', { firstOffset: 0, rowsWritten: 2 }),
      op('p2', 't1', ['b1'], 20, 'fail'),
      op('p1', 't1', ['a3'], 30, 'unknown'),
      op('p2', 't1', ['b2', 'b3'], 40, 'unknown'),
      op('p1', 't1', ['a4'], 50, 'ok', { firstOffset: 3, rowsWritten: 1 }),
      op('p1', 't1', ['a4'], 60, 'ok', { firstOffset: 3, rowsWritten: 1, repeated: true }),
      op('p3', 'k1', ['x1', 'x2'], 15, 'unknown'),
      op('p3', 'k1', ['x1', 'x2', 'x3'], 25, 'ok', { firstOffset: 2, rowsWritten: 1 }),
      op('p4', 'k1', ['x4'], 35, 'ok', { firstOffset: 3, rowsWritten: 1 }),
      op('p4', 'k1', ['x4'], 45, 'ok', { firstOffset: 4, rowsWritten: 0 }),
    ],
    subscribers: [
      { subscriber: 's1', table: 't1', startOffset: 0, persistOffset: true },
      { subscriber: 's2', table: 'k1', startOffset: 1, persistOffset: false },
      { subscriber: 's3', table: 't1', startOffset: 2, persistOffset: false },
    ],
    deliveries: [...deliver('s1', 't1', T1, 0, 4), ...deliver('s2', 'k1', K1, 1, 2), ...deliver('s3', 't1', T1, 2, 2)],
    finalReads: [
      { node: 'dn1', table: 't1', rows: rowsOf(T1) },
      { node: 'dn2', table: 't1', rows: rowsOf(T1) },
      { node: 'dn3', table: 't1', rows: rowsOf(T1, 1), firstOffset: 1 },
      ...NODES.map((node) => ({ node, table: 'k1', rows: rowsOf(K1) })),
    ],
    faults: [{ atMs: 33, what: 'kill -9 dn1' }],
  };
}

function read(h: History, node: string, table: string): ReplicaRead {
  return h.finalReads.find((r) => r.node === node && r.table === table)!;
}

function everyRead(h: History, table: string): ReplicaRead[] {
  return h.finalReads.filter((r) => r.table === table);
}

/** Asserts the verdict names exactly `expected` (name -> count) and returns the examples of each. */
function expectAnomalies(v: Verdict, expected: Partial<Record<AnomalyName, number>>): Record<string, string> {
  const got = Object.fromEntries(v.anomalies.map((a) => [a.name, a.count]));
  assert.deepEqual(got, expected, formatVerdict(v));
  assert.equal(v.ok, Object.keys(expected).length === 0);
  return Object.fromEntries(v.anomalies.map((a) => [a.name, a.examples.join('\n')]));
}

// ---- clean ---------------------------------------------------------------------------------------

test('a clean history (keyed and unkeyed, ok/fail/unknown, repeated acks, a purged replica, subscribers) passes', () => {
  const v = checkHistory(cleanHistory());
  expectAnomalies(v, {});
  assert.deepEqual(v.stats.appends, { ok: 6, fail: 1, unknown: 3 });
  assert.equal(v.stats.unknownApplied, 2);
  assert.equal(v.stats.unknownNotApplied, 1);
  assert.equal(v.stats.rowsAcked, 2 + 1 + 1 + 3 + 1 + 1);
  assert.deepEqual(v.stats.rowsDelivered, { s1: 4, s2: 2, s3: 2 });
  assert.equal(v.stats.tables, 2);
  assert.equal(v.stats.keyedTables, 1);
  assert.equal(v.stats.replicasCompared, 6);
  assert.deepEqual(v.stats.finalRows, { t1: 4, k1: 4 });
  assert.equal(v.stats.okUnverifiable, 0);
  const text = formatVerdict(v);
  assert.match(text, /^verdict: clean \(seed 7\)/);
  for (const name of ANOMALY_NAMES) assert.match(text, new RegExp(`${name}\\s+clean`));
});

test('every anomaly name has a definition', () => {
  assert.deepEqual(Object.keys(ANOMALY_DEFINITIONS).sort(), [...ANOMALY_NAMES].sort());
  for (const name of ANOMALY_NAMES) assert.ok(ANOMALY_DEFINITIONS[name].length > 40, name);
});

// ---- one anomaly at a time -----------------------------------------------------------------------

test('lost-write: an acknowledged row on no replica (each acknowledging append counts)', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) r.rows = r.rows.filter((x) => x.id !== 'a4');
  h.deliveries = h.deliveries.filter((d) => d.id !== 'a4');
  const ex = expectAnomalies(checkHistory(h), { 'lost-write': 2 });
  assert.match(ex['lost-write']!, /t1: append by p1 \[50\.\.55ms\] ok firstOffset 3 rowsWritten 1 of 1 row\(s\); not readable: a4 \(acknowledged at 3\)/);
  assert.match(ex['lost-write']!, /dn1, dn2, dn3 agree on offsets 0\.\.2/);
});

test('lost-write: a keyed row reported dropped is lost when its id is nowhere in the table', () => {
  const h = cleanHistory();
  // x1 was written by an unknown append; the ok retry dropped it as present. Remove x1 everywhere.
  for (const r of everyRead(h, 'k1')) r.rows = r.rows.map((x) => (x.id === 'x1' ? { offset: x.offset, id: 'x9' } : x));
  h.appends.push(op('p9', 'k1', ['x9'], 70, 'unknown')); // so the replacement itself is explained
  h.deliveries = h.deliveries.filter((d) => d.table !== 'k1');
  const ex = expectAnomalies(checkHistory(h), { 'lost-write': 1 });
  assert.match(ex['lost-write']!, /k1: append by p3 .* not readable: x1 \(acknowledged from offset 2\)/);
});

test('duplicate: one id at two offsets of a replica', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) r.rows.push({ offset: 4, id: 'a2' });
  const ex = expectAnomalies(checkHistory(h), { duplicate: 1 });
  assert.match(ex['duplicate']!, /t1 id a2: dn1 at offsets 1, 4; dn2 at offsets 1, 4; dn3 at offsets 1, 4/);
});

test('duplicate: an unknown append that appears twice', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) r.rows.push({ offset: 4, id: 'a3' });
  const ex = expectAnomalies(checkHistory(h), { duplicate: 1 });
  assert.match(ex['duplicate']!, /t1 id a3: dn1 at offsets 2, 4/);
});

test('wrong-ack-offset: unkeyed rows elsewhere than acknowledged, and a short rowsWritten', () => {
  const h = cleanHistory();
  h.appends[0]!.firstOffset = 1; // a1,a2 acknowledged at 1..2, but they sit at 0..1
  h.appends[4]!.rowsWritten = 0; // a4: an unkeyed table writes the whole batch
  const ex = expectAnomalies(checkHistory(h), { 'wrong-ack-offset': 2 });
  assert.match(ex['wrong-ack-offset']!, /t1: append by p1 \[10\.\.15ms\] ok firstOffset 1 rowsWritten 2 ids \[a1, a2\]: offset 1 holds a2, not a1 \(which is at 0\), offset 2 holds a3, not a2 \(which is at 1\)/);
  assert.match(ex['wrong-ack-offset']!, /rowsWritten 0 for a batch of 1 rows in an unkeyed table/);
});

test('wrong-ack-offset: a keyed ack that counts a dropped row as written, or names the wrong offset', () => {
  const h = cleanHistory();
  h.appends[7]!.rowsWritten = 2; // x1,x2 were present, only x3 was written
  h.appends[8]!.firstOffset = 2; // x4 sits at 3
  const ex = expectAnomalies(checkHistory(h), { 'wrong-ack-offset': 2 });
  assert.match(ex['wrong-ack-offset']!, /k1: append by p3 .* rowsWritten 2 but 1 of its ids sit at or after offset 2 \(present earlier: x1@0, x2@1\)/);
  assert.match(ex['wrong-ack-offset']!, /k1: append by p4 .* ids \[x4\]: .*offset 2 holds x3, not x4 \(which is at 3\)/);
});

test('keyed ack with a lost row: the rest must still sit inside the acknowledged offsets in batch order', () => {
  const lossOnly = cleanHistory();
  lossOnly.appends.push(op('p5', 'k1', ['y1', 'y2', 'y3'], 80, 'ok', { firstOffset: 4, rowsWritten: 3 }));
  for (const r of everyRead(lossOnly, 'k1')) r.rows.push({ offset: 4, id: 'y1' }, { offset: 6, id: 'y3' }); // y2 lost: a hole at 5
  const ex1 = expectAnomalies(checkHistory(lossOnly), { 'lost-write': 1, 'replica-divergence': 3 });
  assert.match(ex1['lost-write']!, /k1: append by p5 .* not readable: y2/);

  const reordered = cleanHistory();
  reordered.appends.push(op('p5', 'k1', ['y1', 'y2', 'y3'], 80, 'ok', { firstOffset: 4, rowsWritten: 3 }));
  for (const r of everyRead(reordered, 'k1')) r.rows.push({ offset: 4, id: 'y3' }, { offset: 5, id: 'y1' });
  const ex2 = expectAnomalies(checkHistory(reordered), { 'lost-write': 1, 'wrong-ack-offset': 1 });
  assert.match(ex2['wrong-ack-offset']!, /k1: append by p5 .*: y3 is at offset 4, not after the batch's previous row at 5/);

  const outside = cleanHistory();
  outside.appends.push(op('p5', 'k1', ['y1', 'y2'], 80, 'ok', { firstOffset: 4, rowsWritten: 1 }));
  for (const r of everyRead(outside, 'k1')) r.rows.push({ offset: 4, id: 'y0' }, { offset: 5, id: 'y1' });
  outside.appends.push(op('p6', 'k1', ['y0'], 90, 'unknown'));
  const ex3 = expectAnomalies(checkHistory(outside), { 'lost-write': 1, 'wrong-ack-offset': 1 });
  assert.match(ex3['wrong-ack-offset']!, /y1 is at offset 5, outside the acknowledged 4\.\.4/);
});

test('wrong-ack-offset: an ok append without firstOffset', () => {
  const h = cleanHistory();
  delete h.appends[4]!.firstOffset;
  const ex = expectAnomalies(checkHistory(h), { 'wrong-ack-offset': 1 });
  assert.match(ex['wrong-ack-offset']!, /names no firstOffset\/rowsWritten/);
});

test('inconsistent-offsets: a delivery that differs from the agreed table, and one past its end', () => {
  const h = cleanHistory();
  h.deliveries.find((d) => d.subscriber === 's1' && d.offset === 2)!.id = 'a4';
  h.deliveries.push({ subscriber: 's1', table: 't1', offset: 4, id: 'b2', atMs: 2000 }); // b2: unknown, not applied
  const ex = expectAnomalies(checkHistory(h), { 'inconsistent-offsets': 2 });
  assert.match(ex['inconsistent-offsets']!, /t1 offset 2: dn1=a3, dn2=a3, dn3=a3, s1=a4 \(1002ms\)/);
  assert.match(ex['inconsistent-offsets']!, /t1 offset 4: dn1=\(none; rows end at 3\).*s1=b2 \(2000ms\)/);
});

test('inconsistent-offsets and replica-divergence: two replicas disagree on the rows at two offsets', () => {
  const h = cleanHistory();
  const rows = read(h, 'dn2', 't1').rows;
  [rows[1]!.id, rows[2]!.id] = [rows[2]!.id, rows[1]!.id];
  const ex = expectAnomalies(checkHistory(h), { 'inconsistent-offsets': 2, 'replica-divergence': 1 });
  assert.match(ex['inconsistent-offsets']!, /t1 offset 1: dn1=a2, dn2=a3, dn3=a2/);
  assert.match(ex['replica-divergence']!, /t1 on dn2: .*2 different id\(s\): 1: a3 instead of a2, 2: a2 instead of a3/);
});

test('inconsistent-offsets: one replica read listing an offset twice', () => {
  const h = cleanHistory();
  read(h, 'dn1', 'k1').rows.push({ offset: 1, id: 'x4' });
  const ex = expectAnomalies(checkHistory(h), { 'inconsistent-offsets': 1 });
  assert.match(ex['inconsistent-offsets']!, /k1 offset 1: dn1=x2, dn1=x4 \(listed twice\)/);
});

test('subscription-gap: offsets skipped between the start and the last delivery', () => {
  const h = cleanHistory();
  h.deliveries = h.deliveries.filter((d) => !(d.subscriber === 's1' && d.offset === 2));
  h.deliveries = h.deliveries.filter((d) => !(d.subscriber === 's2' && d.offset === 1)); // s2 starts at 1: skipping 1 is a gap
  const ex = expectAnomalies(checkHistory(h), { 'subscription-gap': 2 });
  assert.match(ex['subscription-gap']!, /s1 on t1 \(from offset 0\): offset 2 never handed \(after offset 1 at 1001ms, next offset 3 at 1003ms\)/);
  assert.match(ex['subscription-gap']!, /s2 on k1 \(from offset 1\): offset 1 never handed/);
});

test('a subscriber that stopped early is not a gap', () => {
  const h = cleanHistory();
  h.deliveries = h.deliveries.filter((d) => !(d.subscriber === 's1' && d.offset >= 2));
  expectAnomalies(checkHistory(h), {});
});

test('subscription-repeat: an offset handed twice', () => {
  const h = cleanHistory();
  const i = h.deliveries.findIndex((d) => d.subscriber === 's1' && d.offset === 2);
  h.deliveries.splice(i + 1, 0, { ...h.deliveries[i]!, atMs: 1500 });
  const ex = expectAnomalies(checkHistory(h), { 'subscription-repeat': 1 });
  assert.match(ex['subscription-repeat']!, /s1 on t1 \(from offset 0\): offset 2 \(a3\) at 1500ms, already handed a3 at 1002ms/);
});

test('subscription-repeat of a different id is also inconsistent-offsets', () => {
  const h = cleanHistory();
  h.deliveries.push({ subscriber: 's3', table: 't1', offset: 3, id: 'a2', atMs: 3000 });
  const ex = expectAnomalies(checkHistory(h), { 'subscription-repeat': 1, 'inconsistent-offsets': 1 });
  assert.match(ex['inconsistent-offsets']!, /t1 offset 3: .*s3=a2 \(3000ms\)/);
});

test('subscription-out-of-order: a reversal, and a row below the start offset', () => {
  const h = cleanHistory();
  const s1 = h.deliveries.filter((d) => d.subscriber === 's1');
  const [i, j] = [h.deliveries.indexOf(s1[1]!), h.deliveries.indexOf(s1[2]!)];
  [h.deliveries[i], h.deliveries[j]] = [h.deliveries[j]!, h.deliveries[i]!];
  h.deliveries.push({ subscriber: 's3', table: 't1', offset: 1, id: 'a2', atMs: 4000 });
  const ex = expectAnomalies(checkHistory(h), { 'subscription-out-of-order': 2 });
  assert.match(ex['subscription-out-of-order']!, /s1 on t1 \(from offset 0\): offset 1 \(a2\) at 1001ms after offset 2 \(a3\) at 1002ms/);
  assert.match(ex['subscription-out-of-order']!, /s3 on t1 \(from offset 2\): offset 1 \(a2\) at 4000ms is below its startOffset/);
});

test('unexpected-row: an id no append to the table carried, in a replica or a delivery', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) r.rows.push({ offset: 4, id: 'zz' });
  for (const r of everyRead(h, 'k1')) r.rows.push({ offset: 4, id: 'a1' }); // appended to t1, not k1
  const ex = expectAnomalies(checkHistory(h), { 'unexpected-row': 2 });
  assert.match(ex['unexpected-row']!, /t1 id zz at dn1@4, dn2@4, dn3@4: no append to t1 carried it/);
  assert.match(ex['unexpected-row']!, /k1 id a1 at dn1@4, dn2@4, dn3@4: no append to k1 carried it \(appended to t1 instead\)/);
});

test('phantom-write: a row whose only append failed definitely', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) r.rows.push({ offset: 4, id: 'b1' });
  const ex = expectAnomalies(checkHistory(h), { 'phantom-write': 1 });
  assert.match(ex['phantom-write']!, /t1 id b1 at dn1@4, dn2@4, dn3@4: carried only by append by p2 \[20\.\.25ms\] fail \(<Busy> retry later\)/);
});

test('replica-divergence: rows missing at the end, a hole, and rows starting late without a purge', () => {
  const h = cleanHistory();
  read(h, 'dn2', 't1').rows.pop();
  read(h, 'dn1', 'k1').rows.splice(1, 1);
  read(h, 'dn3', 'k1').rows.splice(0, 1); // starts at 1 but does not say it purged
  const ex = expectAnomalies(checkHistory(h), { 'replica-divergence': 3 });
  assert.match(ex['replica-divergence']!, /t1 on dn2: holds offsets 0\.\.2, the replicas agree on offsets 0\.\.3; missing at the end 1 row\(s\): 3 \(a4\)/);
  assert.match(ex['replica-divergence']!, /k1 on dn1: .*1 hole\(s\): 1 \(x2\)/);
  assert.match(ex['replica-divergence']!, /k1 on dn3: holds offsets 0\.\.3.*1 hole\(s\): 0 \(x1\)/);
});

test('a replica that declares it purged older rows is compared from its firstOffset only', () => {
  const h = cleanHistory();
  const dn3 = read(h, 'dn3', 'k1');
  dn3.rows = dn3.rows.slice(3);
  dn3.firstOffset = 3;
  expectAnomalies(checkHistory(h), {});
});

test('rows purged on every replica are not judged, and are counted as unverifiable', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) {
    r.rows = r.rows.filter((x) => x.offset >= 2);
    r.firstOffset = 2;
  }
  const v = checkHistory(h);
  expectAnomalies(v, {});
  assert.equal(v.stats.okUnverifiable, 1); // a1,a2
});

test('missing-replica-read: a table with no final read, and a listed replica without one', () => {
  const h = cleanHistory();
  h.finalReads = h.finalReads.filter((r) => r.table !== 'k1' && !(r.table === 't1' && r.node === 'dn2'));
  const v = checkHistory(h);
  const ex = expectAnomalies(v, { 'missing-replica-read': 2 });
  assert.match(ex['missing-replica-read']!, /t1: no final read on dn2 \(read on dn1, dn3\)/);
  assert.match(ex['missing-replica-read']!, /k1: no final read on any replica; 3 ok append\(s\) \(5 rows\) and 2 deliveries unverified/);
  assert.equal(v.stats.okUnverifiable, 3);
});

// ---- combinations --------------------------------------------------------------------------------

test('two anomalies at once are both reported: a lost write and a subscription gap', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 'k1')) r.rows = r.rows.filter((x) => x.id !== 'x4');
  h.deliveries = h.deliveries.filter((d) => !(d.subscriber === 's1' && d.offset === 1));
  const ex = expectAnomalies(checkHistory(h), { 'lost-write': 2, 'subscription-gap': 1 });
  assert.match(ex['lost-write']!, /k1: append by p4 .* not readable: x4/);
  assert.match(ex['subscription-gap']!, /s1 on t1 .*offset 1 never handed/);
});

test('many anomalies at once: duplicate, phantom write, divergence and out-of-order subscription', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) r.rows.push({ offset: 4, id: 'a1' }, { offset: 5, id: 'b1' });
  read(h, 'dn3', 'k1').rows.pop();
  const s2 = h.deliveries.filter((d) => d.subscriber === 's2');
  h.deliveries.push({ ...s2[0]!, atMs: 5000 });
  const v = checkHistory(h);
  expectAnomalies(v, { duplicate: 1, 'phantom-write': 1, 'replica-divergence': 1, 'subscription-repeat': 1 });
  const text = formatVerdict(v);
  assert.match(text, /^verdict: 4 anomalies of 4 kind\(s\) \(seed 7\)/);
  assert.match(text, /duplicate\s+1\n\s+- t1 id a1/);
  assert.match(text, /lost-write\s+clean/);
});

test('at most five examples per anomaly, and every occurrence counted', () => {
  const h = cleanHistory();
  for (const r of everyRead(h, 't1')) for (let i = 0; i < 8; i++) r.rows.push({ offset: 4 + i, id: `ghost${i}` });
  const v = checkHistory(h);
  const a = v.anomalies.find((x) => x.name === 'unexpected-row')!;
  assert.equal(a.count, 8);
  assert.equal(a.examples.length, 5);
  assert.match(formatVerdict(v), /\.\.\. and 3 more/);
});

test('a history that contradicts its own format is refused with MALFORMED_HISTORY', () => {
  const h = cleanHistory();
  h.deliveries.push({ subscriber: 's9', table: 't1', offset: 0, id: 'a1', atMs: 1 });
  assert.throws(() => checkHistory(h), (err: unknown) => err instanceof MalformedHistoryError && err.code === 'MALFORMED_HISTORY' && /s9/.test(err.message));
  const twice = cleanHistory();
  twice.finalReads.push({ node: 'dn1', table: 't1', rows: [] });
  assert.throws(() => checkHistory(twice), /<MALFORMED_HISTORY> two final reads of t1 on dn1/);
});

// ---- seeded simulated runs -------------------------------------------------------------------------

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

test('seeded simulated correct runs (200 appends over 3 tables) pass clean', () => {
  for (const seed of SEEDS) {
    const h = generateCleanHistory(seed);
    const v = checkHistory(h);
    assert.ok(v.ok, `seed ${seed}: a clean run was judged\n${formatVerdict(v)}`);
    assert.equal(v.stats.appends.ok + v.stats.appends.fail + v.stats.appends.unknown, 200, `seed ${seed}`);
  }
  // The generator must actually exercise what the checker has to tolerate.
  const all = SEEDS.map((s) => generateCleanHistory(s));
  assert.ok(all.some((h) => h.appends.some((a) => a.repeated)), 'some run has a repeated acknowledgement');
  assert.ok(all.some((h) => h.appends.some((a) => a.outcome === 'ok' && a.rowsWritten! < a.ids.length)), 'some run has keyed drops');
  assert.ok(all.some((h) => h.finalReads.some((r) => r.firstOffset !== undefined)), 'some run has a purged replica');
  const unknown = all.map((h) => checkHistory(h).stats);
  assert.ok(unknown.some((s) => s.unknownApplied > 0) && unknown.some((s) => s.unknownNotApplied > 0), 'unknown appends both applied and not');
});

for (const [name, mutate] of Object.entries(MUTATORS)) {
  test(`seeded single mutation is caught: ${name}`, () => {
    let applied = 0;
    for (const seed of SEEDS) {
      const rng = new SeededRandom(seed * 31 + name.length);
      const m = mutate(generateCleanHistory(seed), rng);
      if (m === undefined) continue;
      applied++;
      const v = checkHistory(m.history);
      const names = v.anomalies.map((a) => a.name);
      const context = `seed ${seed}, mutation ${name}: ${m.what}\n${formatVerdict(v)}`;
      if (m.atLeast) for (const e of m.expect) assert.ok(names.includes(e), context);
      else assert.deepEqual(names, m.expect, context);
    }
    assert.ok(applied >= SEEDS.length / 2, `mutation ${name} applied to only ${applied} of ${SEEDS.length} seeds`);
  });
}
