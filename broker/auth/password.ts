// Password hashes with scrypt from node:crypto, encoded as one self-describing string
//   scrypt$N$r$p$<salt base64>$<hash base64>
// so the cost can be raised later without breaking hashes already stored.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';

/** 2^14 x 8 x 1 takes ~16 MiB and tens of milliseconds: the usual interactive-login setting. */
const COST_N = 16384;
const BLOCK_SIZE_R = 8;
const PARALLELISM_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Upper bounds on the parameters read back, so a tampered users file cannot make a login take the node down. */
const MAX_COST_N = 1 << 20;
const MAX_BLOCK_SIZE_R = 32;
const MAX_PARALLELISM_P = 16;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export async function hashPassword(password: string, salt: Uint8Array = randomBytes(SALT_BYTES)): Promise<string> {
  const params = { N: COST_N, r: BLOCK_SIZE_R, p: PARALLELISM_P };
  const hash = await derive(password, salt, HASH_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, Buffer.from(salt).toString('base64'), hash.toString('base64')].join('$');
}

/** True iff `password` hashes to `encoded`; USERS_FILE if `encoded` is not a hash this module wrote. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseEncoded(encoded);
  const hash = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(hash, parsed.hash);
}

function parseEncoded(encoded: string): { params: ScryptParams; salt: Buffer; hash: Buffer } {
  const parts = encoded.split('$');
  const [scheme, n, r, p, salt, hash] = parts;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const ok =
    parts.length === 6 &&
    scheme === 'scrypt' &&
    Number.isInteger(params.N) && params.N > 1 && params.N <= MAX_COST_N && (params.N & (params.N - 1)) === 0 &&
    Number.isInteger(params.r) && params.r >= 1 && params.r <= MAX_BLOCK_SIZE_R &&
    Number.isInteger(params.p) && params.p >= 1 && params.p <= MAX_PARALLELISM_P &&
    isBase64(salt) && isBase64(hash);
  if (!ok) throw new AuthError('USERS_FILE', 'a stored password hash is not of the form scrypt$N$r$p$salt$hash; reset that user\'s password');
  const hashBytes = Buffer.from(hash!, 'base64');
  if (hashBytes.length < 16) throw new AuthError('USERS_FILE', 'a stored password hash is too short; reset that user\'s password');
  return { params, salt: Buffer.from(salt!, 'base64'), hash: hashBytes };
}

function isBase64(text: string | undefined): boolean {
  return text !== undefined && text.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text);
}

function derive(password: string, salt: Uint8Array, length: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; the default 32 MiB cap would refuse the upper bounds above.
    scrypt(password.normalize('NFC'), salt, length, { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => {
      if (err) reject(new AuthError('USERS_FILE', `scrypt failed (${err.message}); check the stored hash parameters`, { cause: err }));
      else resolve(key);
    });
  });
}
