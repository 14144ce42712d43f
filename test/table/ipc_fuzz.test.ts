// Untrusted bytes: garbage, truncations and seeded mutations of valid batches. decodeAppendBatch must
// throw nothing but TableError (and return quickly); whatever it accepts must be safe to read in full.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../broker/raft/random.js';
import { batchToColumns, batchToRows, decodeAppendBatch, encodeAppendBatch, rowKeys, selectRows } from '../../broker/table/batch.js';
import { TableError } from '../../broker/table/errors.js';
import { checkKeyColumns } from '../../broker/table/schema.js';
import { ALL_TYPES, ALL_TYPES_ROWS, LIMITS } from './fixtures.js';

const KEY_COLUMNS = checkKeyColumns(ALL_TYPES, ALL_TYPES.columns.filter((c) => c.type !== 'BLOB').map((c) => c.name));

/** Decodes and, when accepted, reads everything; returns the error code or 'OK'. Anything but a TableError fails. */
function attempt(bytes: Uint8Array, what: string): string {
  try {
    const b = decodeAppendBatch(ALL_TYPES, bytes, LIMITS);
    batchToRows(b);
    batchToColumns(b);
    rowKeys(b, KEY_COLUMNS);
    selectRows(b, [b.numRows - 1, 0]);
    return 'OK';
  } catch (err) {
    if (!(err instanceof TableError)) assert.fail(`${what}: threw ${String(err)} (${(err as Error)?.stack ?? ''})`);
    return err.code;
  }
}

test('garbage bytes of every small length and random garbage are TableErrors', () => {
  const rng = new SeededRandom(1);
  for (let len = 0; len < 64; len++) {
    attempt(new Uint8Array(len), `${len} zero bytes`);
    attempt(new Uint8Array(len).fill(0xff), `${len} 0xff bytes`);
    attempt(Uint8Array.from({ length: len }, () => rng.intBelow(256)), `${len} random bytes (seed 1)`);
  }
});

test('every truncation of a valid batch is a TableError, except dropping (part of) the end-of-stream marker', () => {
  const ipc = encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS);
  const codes = new Map<string, number>();
  for (let len = 0; len < ipc.length; len++) {
    const code = attempt(ipc.subarray(0, len), `truncated to ${len} of ${ipc.length}`);
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (len < ipc.length - 8) assert.notEqual(code, 'OK', `truncated to ${len} of ${ipc.length} was accepted`);
  }
  assert.ok((codes.get('BAD_ARROW') ?? 0) > ipc.length / 2, JSON.stringify([...codes]));
});

test('seeded mutations of valid batches: only TableErrors, and what is accepted reads in full', () => {
  const seed = 20251121;
  const rng = new SeededRandom(seed);
  const sources = [
    encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS),
    encodeAppendBatch(ALL_TYPES, Object.fromEntries(Object.entries(ALL_TYPES_ROWS).map(([k, v]) => [k, [v[0], v[3], v[2]]])), LIMITS),
  ];
  const codes = new Map<string, number>();
  const rounds = 4000;
  for (let i = 0; i < rounds; i++) {
    const source = rng.pick(sources);
    const bytes = source.slice();
    const edits = 1 + rng.intBelow(4);
    const steps: string[] = [];
    for (let e = 0; e < edits; e++) {
      // Most schema and batch metadata sits in the first bytes and right before the body: aim there half the time.
      const at = rng.chance(0.5) ? rng.intBelow(Math.min(bytes.length, 600)) : rng.intBelow(bytes.length);
      switch (rng.intBelow(4)) {
        case 0: bytes[at] ^= 1 << rng.intBelow(8); steps.push(`flip ${at}`); break;
        case 1: bytes[at] = rng.pick([0, 0xff, 0x7f, 0x80, rng.intBelow(256)]); steps.push(`set ${at}`); break;
        case 2: bytes.fill(0xff, at, at + 4); steps.push(`ffff ${at}`); break;
        default: bytes[at] = (bytes[at]! + 1 + rng.intBelow(3)) & 0xff; steps.push(`bump ${at}`);
      }
    }
    const code = attempt(bytes, `seed ${seed} round ${i}: ${steps.join(', ')}`);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  // The mutations must reach both sides: some batches still decode (a flipped value byte), most do not.
  assert.ok((codes.get('OK') ?? 0) > 100, JSON.stringify([...codes]));
  assert.ok((codes.get('BAD_ARROW') ?? 0) > 100, JSON.stringify([...codes]));
});

test('a schema whose field count is mutated to a huge number is rejected at once, not looped over', () => {
  const ipc = encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS);
  // The fields vector length is the u32 equal to the column count inside the schema message.
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const metadataEnd = 8 + view.getInt32(4, true);
  let hits = 0;
  for (let p = 8; p + 4 <= metadataEnd; p++) {
    if (view.getUint32(p, true) !== ALL_TYPES.columns.length) continue;
    for (const huge of [0xffffffff, 0x7fffffff, 0x10000]) {
      const bytes = ipc.slice();
      new DataView(bytes.buffer).setUint32(p, huge, true);
      hits++;
      assert.notEqual(attempt(bytes, `count ${huge} at ${p}`), 'OK');
    }
  }
  assert.ok(hits >= 1);
});
