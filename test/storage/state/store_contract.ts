// The behaviour every StateStore must show, run against the memory store and RocksDB alike.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../broker/raft/random.js';
import { StateStoreError } from '../../../storage/state/errors.js';
import { compareKeys, scanPages, StateStore } from '../../../storage/state/state_store.js';
import { b, hex, randomBytes } from './helpers.js';

export function storeContract(name: string, open: () => Promise<{ store: StateStore; cleanup: () => Promise<void> }>): void {
  const withStore = (title: string, body: (store: StateStore) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const { store, cleanup } = await open();
      try {
        await body(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  };

  withStore('put, get, del, delRange; missing keys are undefined', async (store) => {
    await store.write([
      { op: 'put', key: b(1), value: b(10) },
      { op: 'put', key: b(2), value: b(20) },
      { op: 'put', key: b(2, 0), value: b(21) },
      { op: 'put', key: b(3), value: b(30) },
    ]);
    assert.deepEqual(await store.get(b(2)), b(20));
    assert.equal(await store.get(b(9)), undefined);
    await store.write([{ op: 'del', key: b(1) }, { op: 'delRange', gte: b(2), lt: b(3) }]);
    assert.deepEqual(await store.scan({ gte: b(0), lt: b(0xff) }), [[b(3), b(30)]]);
  });

  withStore('ops of one write apply in order: put then del of the same key leaves nothing', async (store) => {
    await store.write([{ op: 'put', key: b(5), value: b(1) }, { op: 'del', key: b(5) }, { op: 'put', key: b(6), value: b(1) }, { op: 'put', key: b(6), value: b(2) }]);
    assert.equal(await store.get(b(5)), undefined);
    assert.deepEqual(await store.get(b(6)), b(2));
  });

  withStore('scan returns unsigned byte order, honours [gte, lt) and limit, pages with scanPages (seeded fuzz)', async (store) => {
    const seed = 0x5eed01;
    const rng = new SeededRandom(seed);
    const model = new Map<string, Uint8Array>();
    for (let round = 0; round < 20; round++) {
      const ops = Array.from({ length: 50 }, () => ({ op: 'put' as const, key: randomBytes(rng, 6, 4), value: randomBytes(rng, 4) }));
      await store.write(ops);
      for (const op of ops) model.set(hex(op.key), op.value);
    }
    const lo = b(1);
    const hi = b(3, 0);
    const want = [...model.entries()]
      .map(([k, v]) => [Uint8Array.from(Buffer.from(k, 'hex')), v] as [Uint8Array, Uint8Array])
      .filter(([k]) => compareKeys(k, lo) >= 0 && compareKeys(k, hi) < 0)
      .sort(([x], [y]) => compareKeys(x, y));
    const got: Array<[Uint8Array, Uint8Array]> = [];
    for await (const page of scanPages(store, { gte: lo, lt: hi }, 7)) {
      assert.ok(page.length <= 7, 'a page never exceeds its limit');
      got.push(...page);
    }
    assert.deepEqual(got, want, `seed ${seed}`);
    assert.equal((await store.scan({ gte: lo, lt: hi }, { limit: 3 })).length, Math.min(3, want.length));
    assert.deepEqual(await store.scan({ gte: b(2), lt: b(2) }), []);
  });

  withStore('a snapshot view does not see later writes, and fails after release()', async (store) => {
    await store.write([{ op: 'put', key: b(1), value: b(1) }, { op: 'put', key: b(2), value: b(2) }]);
    const view = store.snapshot();
    await store.write([{ op: 'put', key: b(1), value: b(9) }, { op: 'del', key: b(2) }, { op: 'put', key: b(3), value: b(3) }]);
    assert.deepEqual(await view.get(b(1)), b(1));
    assert.deepEqual(await view.scan({ gte: b(0), lt: b(9) }), [[b(1), b(1)], [b(2), b(2)]]);
    assert.deepEqual(await store.scan({ gte: b(0), lt: b(9) }), [[b(1), b(9)], [b(3), b(3)]]);
    await view.release();
    await assert.rejects(view.get(b(1)), (e: unknown) => e instanceof StateStoreError && e.code === 'CLOSED');
  });

  withStore('bad arguments are typed errors', async (store) => {
    await assert.rejects(store.scan({ gte: b(2), lt: b(1) }), (e: unknown) => e instanceof StateStoreError && e.code === 'INVALID_ARGUMENT');
    await assert.rejects(store.scan({ gte: b(1), lt: b(2) }, { limit: 0 }), (e: unknown) => e instanceof StateStoreError && e.code === 'INVALID_ARGUMENT');
  });

  test(`${name}: a closed store refuses every call with CLOSED`, async () => {
    const { store, cleanup } = await open();
    await store.close();
    const closed = (e: unknown): boolean => e instanceof StateStoreError && e.code === 'CLOSED' && /after close/.test(e.message);
    await assert.rejects(store.write([{ op: 'put', key: b(1), value: b(1) }]), closed);
    await assert.rejects(store.get(b(1)), closed);
    await assert.rejects(store.scan({ gte: b(0), lt: b(1) }), closed);
    await assert.rejects(store.flush(), closed);
    assert.throws(() => store.snapshot(), closed);
    await cleanup();
  });
}
