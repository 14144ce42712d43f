// ByteChunks: small pieces share a block, a large one is passed through as itself, and the chunks
// back to back are exactly what was added, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteChunks, ZERO_COPY_MIN_BYTES, concatChunks } from '../../storage/byte_chunks.js';

test('small pieces are copied into one block, a large one is its own chunk, order and size kept', () => {
  const big = new Uint8Array(ZERO_COPY_MIN_BYTES).fill(9);
  const c = new ByteChunks();
  c.byte(1);
  c.add(Uint8Array.of(2, 3));
  c.add(big);
  c.copy(Uint8Array.of(4));
  c.add(new Uint8Array(ZERO_COPY_MIN_BYTES - 1).fill(5));
  const chunks = c.finish();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big, 'passed through, not copied');
  assert.deepEqual([...chunks[0]!], [1, 2, 3]);
  assert.equal(c.sizeBytes, 3 + big.byteLength + 1 + ZERO_COPY_MIN_BYTES - 1);
  const all = concatChunks(chunks);
  assert.equal(all.byteLength, c.sizeBytes);
  assert.deepEqual([all[0], all[3], all[3 + big.byteLength], all[all.byteLength - 1]], [1, 9, 4, 5]);
});

test('a first block sized exactly takes every copied byte; past it a new block starts', () => {
  const exact = new ByteChunks(5, 64);
  for (let i = 0; i < 5; i++) exact.byte(i);
  assert.equal(exact.finish().length, 1);
  const short = new ByteChunks(4, 64);
  for (let i = 0; i < 5; i++) short.byte(i);
  const chunks = short.finish();
  assert.equal(chunks.length, 2);
  assert.deepEqual([...concatChunks(chunks)], [0, 1, 2, 3, 4]);
});
