// Small helpers shared by the state store tests: byte literals, and random bytes drawn from the
// project's seeded source (broker/raft/random.ts), so every fuzz run replays from the seed it prints.

import { RandomSource } from '../../../broker/raft/random.js';

export const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** 0..maxLength bytes, each below `alphabet` (a small alphabet makes shared prefixes common). */
export function randomBytes(rng: RandomSource, maxLength: number, alphabet = 256): Uint8Array {
  return Uint8Array.from({ length: rng.intBelow(maxLength + 1) }, () => rng.intBelow(alphabet));
}

export const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
