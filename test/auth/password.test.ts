// scrypt password hashes: format, verification, and refusal of hashes this module did not write.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../broker/auth/errors.js';
import { hashPassword, verifyPassword } from '../../broker/auth/password.js';

const isUsersFileError = (err: unknown): boolean => err instanceof AuthError && err.code === 'USERS_FILE';

describe('hashPassword / verifyPassword', () => {
  it('encodes scrypt$N$r$p$salt$hash and verifies only the right password', async () => {
    const encoded = await hashPassword('correct horse');
    assert.match(encoded, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    assert.equal(await verifyPassword('correct horse', encoded), true);
    assert.equal(await verifyPassword('correct horse ', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  it('salts: the same password hashes differently, and identically for the same salt', async () => {
    assert.notEqual(await hashPassword('pw'), await hashPassword('pw'));
    const salt = new Uint8Array(16).fill(3);
    assert.equal(await hashPassword('pw', salt), await hashPassword('pw', salt));
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const encoded = await hashPassword('caf\u00e9');
    assert.equal(await verifyPassword('cafe\u0301', encoded), true);
  });

  it('refuses malformed or tampered hashes with USERS_FILE instead of answering false or burning memory', async () => {
    const good = await hashPassword('pw');
    const [, , r, p, salt, hash] = good.split('$');
    for (const bad of ['', 'plain-text', `bcrypt$16384$${r}$${p}$${salt}$${hash}`, `scrypt$1000$${r}$${p}$${salt}$${hash}`, `scrypt$${2 ** 24}$${r}$${p}$${salt}$${hash}`, `scrypt$16384$${r}$${p}$${salt}$`, `scrypt$16384$${r}$${p}$${salt}$AAAA`]) {
      await assert.rejects(verifyPassword('pw', bad), isUsersFileError, bad);
    }
  });
});
