import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../broker/raft/random.js';

test('a seed replays the same sequence, another seed does not', () => {
  const draw = (seed: number) => { const r = new SeededRandom(seed); return Array.from({ length: 20 }, () => r.intBelow(1000)); };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('intBelow stays in range and covers it', () => {
  const r = new SeededRandom(1);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) { const v = r.intBelow(10); assert.ok(v >= 0 && v < 10); seen.add(v); }
  assert.equal(seen.size, 10);
  assert.throws(() => r.intBelow(0), RangeError);
});
