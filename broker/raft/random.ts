// A seeded pseudo-random source. The Raft core and the simulator take one of these
// instead of Math.random(), so a seed replays the identical run.

export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). */
  intBelow(bound: number): number;
}

/** xorshift128+ style generator on 32-bit halves (sfc32): fast, tiny state, good enough for scheduling. */
export class SeededRandom implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the four state words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  intBelow(bound: number): number {
    if (!(bound > 0)) throw new RangeError(`intBelow bound must be positive, got ${bound}`);
    return Math.floor((this.nextUint32() / 0x100000000) * bound);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextUint32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.intBelow(items.length)]!;
  }
}
