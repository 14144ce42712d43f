// Small helpers shared by the state store tests: byte literals, and random bytes drawn from the
// project's seeded source (broker/raft/random.ts), so every fuzz run replays from the seed it prints.

export { randomBytes } from '../../fuzz_bytes.js';

export const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
