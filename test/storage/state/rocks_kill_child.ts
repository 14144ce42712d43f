// Child process of rocks_state_store.test.ts: writes, flushes, says so on stdout, then keeps writing
// until its parent kills it with SIGKILL. Usage: node rocks_kill_child.js <dir> <count>

import { RocksStateStore } from '../../../storage/state/rocks_state_store.js';

const [dir, countText] = process.argv.slice(2);
const count = Number(countText);
const key = (i: number): Uint8Array => Uint8Array.of(1, i >> 8, i & 0xff);
const store = await RocksStateStore.open(dir!);
for (let i = 0; i < count; i += 10) {
  const ops = [];
  for (let j = i; j < Math.min(count, i + 10); j++) ops.push({ op: 'put' as const, key: key(j), value: Uint8Array.of(j & 0xff, 7) });
  await store.write(ops);
}
await store.flush();
process.stdout.write('flushed\n');
// Keep the store busy so the kill lands mid-work, then idle until killed.
for (let i = 0; i < 1000; i++) await store.write([{ op: 'put', key: Uint8Array.of(2, i >> 8, i & 0xff), value: Uint8Array.of(1) }]);
setInterval(() => {}, 1000);
