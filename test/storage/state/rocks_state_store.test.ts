// The RocksDB store: the shared contract, then what only a real disk shows: reopening, a process
// killed with SIGKILL after flush(), and open failures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateStoreError } from '../../../storage/state/errors.js';
import { RocksStateStore } from '../../../storage/state/rocks_state_store.js';
import { b } from './helpers.js';
import { storeContract } from './store_contract.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'shoal-state-'));

storeContract('RocksStateStore', async () => {
  const dir = await tempDir();
  return { store: await RocksStateStore.open(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('RocksStateStore: write, close, reopen, read back', async () => {
  const dir = await tempDir();
  try {
    const store = await RocksStateStore.open(dir);
    await store.write([{ op: 'put', key: b(1, 1), value: b(11) }, { op: 'put', key: b(1, 2), value: b(12) }, { op: 'put', key: b(2), value: b(2) }]);
    await store.write([{ op: 'delRange', gte: b(2), lt: b(3) }]);
    await store.flush();
    await store.close();
    const reopened = await RocksStateStore.open(dir);
    assert.deepEqual(await reopened.scan({ gte: b(0), lt: b(9) }), [[b(1, 1), b(11)], [b(1, 2), b(12)]]);
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('RocksStateStore: large values go to blob files and read back after a reopen, scans and range deletes included', async () => {
  const dir = await tempDir();
  try {
    const big = (seed: number): Uint8Array => Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + seed) & 0xff);
    const store = await RocksStateStore.open(dir);
    await store.write([{ op: 'put', key: b(1, 1), value: big(1) }, { op: 'put', key: b(1, 2), value: b(12) }, { op: 'put', key: b(1, 3), value: big(3) }]);
    await store.write([{ op: 'delRange', gte: b(1, 3), lt: b(1, 4) }]);
    await store.flush();
    await store.close();
    assert.ok((await readdir(dir)).some((f) => f.endsWith('.blob')), 'a blob file holds the big values');
    const reopened = await RocksStateStore.open(dir);
    assert.deepEqual(await reopened.scan({ gte: b(0), lt: b(9) }), [[b(1, 1), big(1)], [b(1, 2), b(12)]]);
    assert.deepEqual(await reopened.get(b(1, 1)), big(1));
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('RocksStateStore: data flushed before a SIGKILL is there on reopen', async () => {
  const dir = await tempDir();
  const count = 300;
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'rocks_kill_child.js');
  try {
    const child = spawn(process.execPath, [script, dir, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const limit = setTimeout(() => reject(new Error('child did not report "flushed" within 30 s')), 30_000);
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('flushed\n')) {
          clearTimeout(limit);
          resolve();
        }
      });
      child.on('exit', () => {
        clearTimeout(limit);
        reject(new Error(`child exited before flushing: ${out}`));
      });
    }).finally(() => process.kill(child.pid!, 'SIGKILL'));
    assert.equal(await exited, 'SIGKILL');
    const store = await RocksStateStore.open(dir);
    const got = await store.scan({ gte: b(1), lt: b(2) }, { limit: 1000 });
    assert.equal(got.length, count);
    for (const [key, value] of got) assert.deepEqual(value, b(((key[1]! << 8) | key[2]!) & 0xff, 7));
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('RocksStateStore: open failures are OPEN_FAILED with what to check', async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    await assert.rejects(RocksStateStore.open(file), (e: unknown) => e instanceof StateStoreError && e.code === 'OPEN_FAILED' && /writable directory/.test(e.message));
    const first = await RocksStateStore.open(join(dir, 'db'));
    await assert.rejects(RocksStateStore.open(join(dir, 'db')), (e: unknown) => e instanceof StateStoreError && e.code === 'OPEN_FAILED' && /LOCK/.test(e.message));
    await first.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
