// The keyspace: every key decodes back to what built it, keys of different things never collide,
// and each range holds exactly its own keys (seeded fuzz). Then the value codecs and their errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../broker/raft/random.js';
import { ByteWriter } from '../../../storage/state/binary.js';
import { StateDecodeError } from '../../../storage/state/errors.js';
import {
  appliedLsnKey, checkpointKey, decodeStateKey, dedupKey, dedupRange, generationPointerKey, generationRange, KeyKind, StateKey,
  producerRange, producerSequenceKey, stripGroupPrefix, subscriptionOffsetKey, tableBatchKey, tableBatchRange, tableMetaKey,
  tableProducersRange, withGroupPrefix,
} from '../../../storage/state/keys.js';
import { compareKeys, KeyRange } from '../../../storage/state/state_store.js';
import * as v from '../../../storage/state/values.js';
import { b, hex, randomBytes } from './helpers.js';

function encode(k: StateKey): Uint8Array {
  switch (k.kind) {
    case KeyKind.GenerationPointer: return generationPointerKey(k.group);
    case KeyKind.Checkpoint: return checkpointKey(k.group);
    case KeyKind.AppliedLsn: return appliedLsnKey(k.group);
    case KeyKind.TableMeta: return tableMetaKey(k.group, k.generation, k.table);
    case KeyKind.TableBatch: return tableBatchKey(k.group, k.generation, k.table, k.firstOffset);
    case KeyKind.Dedup: return dedupKey(k.group, k.generation, k.table, k.dedupKey);
    case KeyKind.SubscriptionOffset: return subscriptionOffsetKey(k.group, k.generation, k.topic);
    case KeyKind.ProducerSequence: return producerSequenceKey(k.group, k.generation, k.table, k.producer, k.sequence);
  }
}

function randomKey(rng: SeededRandom): StateKey {
  const group = rng.intBelow(3);
  const generation = 1 + rng.intBelow(2);
  // Short names over a tiny alphabet, so prefixes of one another ("a", "ab", "a\u0000") come up often.
  const name = (): string => 'a' + Array.from({ length: rng.intBelow(3) }, () => rng.pick(['a', 'b', '\u0000', '\u00ff'])).join('');
  switch (rng.intBelow(8)) {
    case 7: return { kind: KeyKind.ProducerSequence, group, generation, table: name(), producer: name(), sequence: rng.pick([1, 255, 256, 2 ** 32, Number.MAX_SAFE_INTEGER]) };
    case 6: return { kind: KeyKind.AppliedLsn, group };
    case 0: return { kind: KeyKind.GenerationPointer, group };
    case 1: return { kind: KeyKind.Checkpoint, group };
    case 2: return { kind: KeyKind.TableMeta, group, generation, table: name() };
    case 3: return { kind: KeyKind.TableBatch, group, generation, table: name(), firstOffset: rng.pick([0, 1, 255, 256, 2 ** 32, Number.MAX_SAFE_INTEGER]) };
    case 4: return { kind: KeyKind.Dedup, group, generation, table: name(), dedupKey: randomBytes(rng, 3, 3) };
    default: return { kind: KeyKind.SubscriptionOffset, group, generation, topic: name() };
  }
}

const inRange = (key: Uint8Array, r: KeyRange): boolean => compareKeys(key, r.gte) >= 0 && compareKeys(key, r.lt) < 0;

test('keys: decode(encode(k)) = k, distinct things give distinct keys, ranges hold only their own (seeded fuzz)', () => {
  const seed = 20240603;
  const rng = new SeededRandom(seed);
  const byKey = new Map<string, string>();
  for (let i = 0; i < 5000; i++) {
    const k = randomKey(rng);
    const key = encode(k);
    assert.deepEqual(decodeStateKey(key), k, `seed ${seed} step ${i}`);
    const identity = JSON.stringify(k, (_, x) => (x instanceof Uint8Array ? hex(x) : x));
    const seen = byKey.get(hex(key));
    assert.ok(seen === undefined || seen === identity, `seed ${seed}: ${identity} and ${seen} share key ${hex(key)}`);
    byKey.set(hex(key), identity);
  }
  // Every key lies in the batch / dedup range of its own table and generation, and in no other.
  const decoded = [...byKey.keys()].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  for (const key of decoded) {
    const k = decodeStateKey(key);
    for (const other of decoded.slice(0, 200)) {
      const o = decodeStateKey(other);
      if (o.kind !== KeyKind.TableBatch && o.kind !== KeyKind.Dedup && o.kind !== KeyKind.ProducerSequence) continue;
      const range = o.kind === KeyKind.TableBatch ? tableBatchRange(o.group, o.generation, o.table)
        : o.kind === KeyKind.Dedup ? dedupRange(o.group, o.generation, o.table) : tableProducersRange(o.group, o.generation, o.table);
      const same = k.kind === o.kind && k.group === o.group && k.generation === o.generation && k.table === o.table;
      assert.equal(inRange(key, range), same, `seed ${seed}: ${hex(key)} vs range of ${hex(other)}`);
      if (o.kind === KeyKind.ProducerSequence) {
        const sameProducer = same && k.kind === KeyKind.ProducerSequence && k.producer === o.producer;
        assert.equal(inRange(key, producerRange(o.group, o.generation, o.table, o.producer)), sameProducer, `seed ${seed}: ${hex(key)} vs producer range of ${hex(other)}`);
      }
    }
    const gen = 'generation' in k ? k.generation : 0;
    assert.ok(inRange(key, generationRange(k.group, gen)));
    assert.ok(!inRange(key, generationRange(k.group, gen + 1)));
  }
});

test('keys: batch keys sort by offset, numerically', () => {
  const offsets = [0, 1, 255, 256, 65536, 2 ** 40, Number.MAX_SAFE_INTEGER];
  const keys = offsets.map((o) => tableBatchKey(1, 1, 't', o));
  const sorted = [...keys].sort(compareKeys);
  assert.deepEqual(sorted.map((k) => (decodeStateKey(k) as { firstOffset: number }).firstOffset), offsets);
});

test('keys: a snapshot strips group and generation, an install puts new ones back', () => {
  const key = dedupKey(7, 3, 'orders', b(1, 2));
  const moved = withGroupPrefix(7, 4, stripGroupPrefix(key));
  assert.deepEqual(decodeStateKey(moved), { kind: KeyKind.Dedup, group: 7, generation: 4, table: 'orders', dedupKey: b(1, 2) });
});

test('keys: bad keys and bad names are refused with typed errors', () => {
  const bad = (bytes: Uint8Array, code: string): void =>
    assert.throws(() => decodeStateKey(bytes), (e: unknown) => e instanceof StateDecodeError && e.code === code, hex(bytes));
  bad(b(0, 0, 0, 1), 'TRUNCATED');
  bad(b(0, 0, 0, 1, 0, 0, 0, 1, 0x77), 'BAD_KEY'); // unknown kind
  bad(b(0, 0, 0, 1, 0, 0, 0, 1, KeyKind.Checkpoint), 'BAD_KEY'); // a group record outside generation 0
  bad(b(0, 0, 0, 1, 0, 0, 0, 0, KeyKind.TableMeta, 0, 1, 0x61), 'BAD_KEY'); // state in generation 0
  bad(Uint8Array.of(...checkpointKey(1), 0), 'TRAILING_BYTES');
  bad(b(0, 0, 0, 1, 0, 0, 0, 1, KeyKind.TableMeta, 0, 0), 'BAD_FIELD'); // empty name
  assert.throws(() => tableMetaKey(1, 1, ''), /non-empty/);
  assert.throws(() => tableMetaKey(1, 0, 't'), /currentGeneration/);
});

test('ByteWriter: a writer filled to its exact size hands over its buffer; any other copies what was written', () => {
  const exact = new ByteWriter(13).u8(1).u32(2).u64(3);
  assert.equal(exact.finish(), exact.finish(), 'no copy: the same buffer each time');
  assert.deepEqual([...exact.finish()], [1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]);
  const roomy = new ByteWriter(64).u8(9);
  assert.notEqual(roomy.finish(), roomy.finish());
  assert.deepEqual([...roomy.finish()], [9]);
});

test('values: round trips, and version, truncation and trailing bytes are typed errors', () => {
  const checkpoint = { lsn: 42, term: 3, confState: { voters: [1, 2, 3], learners: [4], witnesses: [5], removed: [6] } };
  assert.deepEqual(v.decodeCheckpoint(v.encodeCheckpoint(checkpoint)), checkpoint);
  assert.deepEqual(v.decodeCheckpoint(v.encodeCheckpoint({ ...checkpoint, confState: { voters: [1], learners: [], witnesses: [] } })).confState.removed, []);
  const meta = { lsn: 9, nextOffset: 2 ** 40, schemaBytes: b(1, 2, 3) };
  assert.deepEqual(v.decodeTableMeta(v.encodeTableMeta(meta)), meta);
  const batch = { lsn: 5, rowCount: 100, appendedAtMs: 1_700_000_000_000, ipcBytes: b(9, 9, 9) };
  assert.deepEqual(v.decodeTableBatch(v.encodeTableBatch(batch)), batch);
  const ipcBytes = new Uint8Array(5000).fill(7);
  assert.deepEqual(v.decodeTableBatch(v.encodeTableBatch({ ...batch, ipcBytes })), { ...batch, ipcBytes });
  assert.deepEqual(v.decodeDedupEntry(v.encodeDedupEntry({ lsn: 1, offset: 2 })), { lsn: 1, offset: 2 });
  assert.deepEqual(v.decodeSubscriptionOffset(v.encodeSubscriptionOffset({ lsn: 1, offset: 2 })), { lsn: 1, offset: 2 });
  assert.deepEqual(v.decodeGenerationPointer(v.encodeGenerationPointer({ generation: 7 })), { generation: 7 });

  const encoded = v.encodeCheckpoint(checkpoint);
  const typed = (code: string) => (e: unknown) => e instanceof StateDecodeError && e.code === code;
  assert.throws(() => v.decodeCheckpoint(Uint8Array.of(2, ...encoded.subarray(1))), typed('UNKNOWN_VERSION'));
  assert.throws(() => v.decodeCheckpoint(encoded.subarray(0, encoded.byteLength - 1)), typed('TRUNCATED'));
  assert.throws(() => v.decodeCheckpoint(Uint8Array.of(...encoded, 0)), typed('TRAILING_BYTES'));
  assert.throws(() => v.decodeDedupEntry(b(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)), typed('BAD_FIELD'));
  assert.throws(() => v.decodeTableBatch(b()), typed('TRUNCATED'));
});
