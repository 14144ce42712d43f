// The in-memory store: the shared contract, plus crash() and fault injection, which model a
// RocksDB without its own WAL losing power.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStoreError } from '../../../storage/state/errors.js';
import { MemoryStateStore } from '../../../storage/state/memory_state_store.js';
import { b } from './helpers.js';
import { storeContract } from './store_contract.js';

storeContract('MemoryStateStore', async () => ({ store: new MemoryStateStore(), cleanup: async () => {} }));

test('MemoryStateStore: crash() keeps exactly what was flushed', async () => {
  const store = new MemoryStateStore();
  await store.write([{ op: 'put', key: b(1), value: b(1) }]);
  await store.flush();
  await store.write([{ op: 'put', key: b(2), value: b(2) }, { op: 'del', key: b(1) }]);
  store.crash();
  assert.deepEqual(await store.scan({ gte: b(0), lt: b(9) }), [[b(1), b(1)]]);
});

test('MemoryStateStore: a write that fails, or holds a bad op, changes nothing (atomic)', async () => {
  const store = new MemoryStateStore();
  await store.write([{ op: 'put', key: b(1), value: b(1) }]);
  store.failNext('write');
  await assert.rejects(store.write([{ op: 'put', key: b(2), value: b(2) }, { op: 'del', key: b(1) }]), (e: unknown) => e instanceof StateStoreError && e.code === 'IO_ERROR');
  await assert.rejects(store.write([{ op: 'del', key: b(1) }, { op: 'delRange', gte: b(5), lt: b(4) }]), (e: unknown) => e instanceof StateStoreError && e.code === 'INVALID_ARGUMENT');
  assert.deepEqual(await store.scan({ gte: b(0), lt: b(9) }), [[b(1), b(1)]]);
  store.failNext('flush');
  await assert.rejects(store.flush(), (e: unknown) => e instanceof StateStoreError && e.code === 'IO_ERROR');
  store.crash();
  assert.equal(store.size, 0, 'the failed flush made nothing durable');
});

test('MemoryStateStore: values are copied in and out, so callers cannot mutate stored state', async () => {
  const store = new MemoryStateStore();
  const value = b(1, 2);
  await store.write([{ op: 'put', key: b(1), value }]);
  value[0] = 99;
  const got = (await store.get(b(1)))!;
  got[1] = 99;
  assert.deepEqual(await store.get(b(1)), b(1, 2));
});
