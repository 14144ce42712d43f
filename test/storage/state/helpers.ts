// Small helpers shared by the state store tests: byte literals and a seeded PRNG (mulberry32),
// so every fuzz run replays from the seed it prints.

export const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (u: Uint8Array): string => new TextDecoder().decode(u);

export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  bytes(maxLength: number, alphabet = 256): Uint8Array {
    return Uint8Array.from({ length: this.int(maxLength + 1) }, () => this.int(alphabet));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

export const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
