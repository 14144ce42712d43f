// The token bucket with a fake clock: burst first, then the sustained rate, debts paid by delays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../storage/snapshot/rate_limiter.js';

test('token bucket: a full burst goes at once, then sends wait bytes/rate', () => {
  const bucket = new TokenBucket({ bytesPerSecond: 1000, burstBytes: 500 });
  assert.equal(bucket.take(500, 0), 0);
  assert.equal(bucket.take(100, 0), 100, '100 bytes at 1000 B/s: 100 ms');
  assert.equal(bucket.take(100, 0), 200, 'debts add up');
  assert.equal(bucket.available(200), 0, 'after 200 ms the debt is paid');
  assert.equal(bucket.take(50, 250), 0, '50 ms earned 50 bytes');
});

test('token bucket: idle time refills only up to the burst', () => {
  const bucket = new TokenBucket({ bytesPerSecond: 1000, burstBytes: 300 });
  bucket.take(300, 0);
  assert.equal(bucket.available(60_000), 300);
  assert.equal(bucket.take(1300, 60_000), 1000, 'a send larger than the burst is allowed and waits longer');
});

test('token bucket: a sustained sender gets the configured rate', () => {
  const bucket = new TokenBucket({ bytesPerSecond: 64 * 1024, burstBytes: 16 * 1024 });
  let nowMs = 0;
  let sentBytes = 0;
  while (nowMs < 10_000) {
    nowMs += bucket.take(8 * 1024, nowMs); // wait as told, then send
    sentBytes += 8 * 1024;
  }
  const rate = sentBytes / (nowMs / 1000);
  assert.ok(rate <= 64 * 1024 + 16 * 1024 / 10 && rate >= 64 * 1024 * 0.99, `rate ${rate} B/s`);
});

test('token bucket: a clock going backwards earns nothing; bad arguments throw', () => {
  const bucket = new TokenBucket({ bytesPerSecond: 1000, burstBytes: 100 });
  bucket.take(100, 1000);
  assert.equal(bucket.take(10, 500), 10);
  assert.equal(bucket.take(10, 1000), 20, 'time resumes from the latest clock reading');
  assert.throws(() => new TokenBucket({ bytesPerSecond: 0, burstBytes: 1 }), RangeError);
  assert.throws(() => bucket.take(-1, 0), RangeError);
});
