// Seeded byte fuzzing shared by every fuzz test: random bytes, and corrupted copies of valid input.

import { RandomSource, SeededRandom } from '../broker/raft/random.js';

/** Up to maxLength random bytes drawn from [0, alphabet). */
export function randomBytes(rng: RandomSource, maxLength: number, alphabet = 256): Uint8Array {
  return Uint8Array.from({ length: rng.intBelow(maxLength + 1) }, () => rng.intBelow(alphabet));
}

/** One corrupted copy: 1-4 bit flips, byte overwrites, cuts, inserted noise, repeated runs, varint edge bytes. */
export function mutate(r: SeededRandom, valid: Uint8Array): Uint8Array {
  let bytes = [...valid];
  const edits = 1 + r.intBelow(4);
  for (let e = 0; e < edits; e++) {
    const at = r.intBelow(bytes.length + 1);
    switch (r.intBelow(6)) {
      case 0: if (bytes.length) bytes[at % bytes.length]! ^= 1 << r.intBelow(8); break;
      case 1: if (bytes.length) bytes[at % bytes.length] = r.intBelow(256); break;
      case 2: bytes = bytes.slice(0, at); break; // truncated
      case 3: bytes.splice(at, 0, ...Array.from({ length: 1 + r.intBelow(8) }, () => r.intBelow(256))); break; // extended
      case 4: { const from = r.intBelow(bytes.length + 1); bytes.splice(at, 0, ...bytes.slice(from, from + 1 + r.intBelow(16))); break; }
      default: if (bytes.length) bytes[at % bytes.length] = [0x00, 0x7f, 0x80, 0xff][r.intBelow(4)]!; break;
    }
  }
  return Uint8Array.from(bytes);
}
