// The two pure pieces of a peer link: the reconnect delay and the bounded outbox.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../broker/raft/random.js';
import { reconnectDelayMs } from '../../broker/server/backoff.js';
import { FrameQueue } from '../../broker/server/frame_queue.js';

describe('reconnectDelayMs', () => {
  it('doubles its ceiling per failure up to the max, jittered within the upper half, never below min', () => {
    const random = new SeededRandom(42);
    const next = (): number => random.nextUint32() / 0x100000000;
    for (let failures = 0; failures < 40; failures++) {
      const ceiling = Math.min(5000, 100 * 2 ** failures);
      for (let i = 0; i < 50; i++) {
        const delay = reconnectDelayMs(failures, 100, 5000, next);
        assert.ok(delay >= Math.max(100, ceiling / 2) - 1 && delay <= ceiling, `failures=${failures} delay=${delay} ceiling=${ceiling}`);
      }
    }
  });

  it('spans the jitter range: lowest and highest random give half and all of the ceiling', () => {
    assert.equal(reconnectDelayMs(3, 100, 5000, () => 0), 400);
    assert.equal(reconnectDelayMs(3, 100, 5000, () => 0.999999), 800);
    assert.equal(reconnectDelayMs(0, 100, 5000, () => 0), 100, 'clamped up to min');
    assert.equal(reconnectDelayMs(1000, 100, 5000, () => 0.999999), 5000, 'huge failure counts stay at max');
  });
});

describe('FrameQueue', () => {
  it('is FIFO and refuses a frame that would exceed maxBytes, keeping what it has', () => {
    const q = new FrameQueue(10);
    assert.ok(q.push(new Uint8Array([1, 1, 1, 1])));
    assert.ok(q.push(new Uint8Array([2, 2, 2, 2, 2, 2])));
    assert.equal(q.queuedBytes, 10);
    assert.equal(q.push(new Uint8Array([3])), false);
    assert.equal(q.length, 2);
    assert.deepEqual(q.shift(), new Uint8Array([1, 1, 1, 1]));
    assert.ok(q.push(new Uint8Array([3])));
    assert.deepEqual([q.shift()![0], q.shift()![0], q.shift()], [2, 3, undefined]);
    assert.equal(q.queuedBytes, 0);
  });

  it('keeps order and byte count across compactions', () => {
    const q = new FrameQueue(1_000_000);
    let expectNext = 0;
    let pushed = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) assert.ok(q.push(new Uint8Array([pushed++ & 0xff, 0])));
      for (let i = 0; i < 70; i++) assert.equal(q.shift()![0], expectNext++ & 0xff);
      assert.equal(q.queuedBytes, 2 * (pushed - expectNext));
    }
    while (q.length > 0) assert.equal(q.shift()![0], expectNext++ & 0xff);
    assert.equal(expectNext, pushed);
  });
});
