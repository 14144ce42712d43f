// How long a peer link waits before its next connection attempt: exponential in the number of
// failed attempts, capped, with jitter so that nodes restarted together do not reconnect in lockstep.

/**
 * The delay before attempt `failures + 1`: the ceiling min * 2^failures (capped at max), then a random
 * point in its upper half, never below min. `random` returns [0, 1); inject a seeded one in tests.
 */
export function reconnectDelayMs(failures: number, reconnectMinMs: number, reconnectMaxMs: number, random: () => number): number {
  const ceiling = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(failures, 30));
  const jittered = ceiling * (0.5 + 0.5 * random());
  return Math.max(reconnectMinMs, Math.min(reconnectMaxMs, Math.round(jittered)));
}
