// UserStore on a real temporary directory: persistence, login failures that look alike, the
// admin bootstrap, file permissions and atomic writes.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthError, type AuthErrorCode } from '../../broker/auth/errors.js';
import { ADMIN_USER, UserStore } from '../../broker/auth/user_store.js';

const hasCode = (code: AuthErrorCode) => (err: unknown): boolean => err instanceof AuthError && err.code === code;

describe('UserStore', () => {
  let dir: string;
  let n = 0;
  const freshPath = (): string => join(dir, `users-${n++}.json`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-users-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps users across reopening, and authenticates only the right password', async () => {
    const path = freshPath();
    const store = await UserStore.open(path);
    await store.createUser('alice', 's3cret', false);
    await store.createUser('ops.admin', 'root-pw', true);
    const reopened = await UserStore.open(path);
    await reopened.authenticate('alice', 's3cret');
    await reopened.authenticate('ops.admin', 'root-pw');
    assert.deepEqual([reopened.isAdmin('alice'), reopened.isAdmin('ops.admin'), reopened.hasUser('bob')], [false, true, false]);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(onDisk.version, 1);
    assert.deepEqual(Object.keys(onDisk.users), ['alice', 'ops.admin']);
    assert.ok(!JSON.stringify(onDisk).includes('s3cret'), 'no plain-text password on disk');
  });

  it('fails a wrong password and an unknown user with the same AUTH_FAILED error', async () => {
    const store = await UserStore.open(freshPath());
    await store.createUser('alice', 's3cret', false);
    const messages: string[] = [];
    for (const [user, password] of [['alice', 'wrong'], ['mallory', 's3cret'], ['alice', ''], ['alice', 'x'.repeat(1 << 20)]]) {
      await assert.rejects(store.authenticate(user!, password!), (err: unknown) => {
        assert.ok(hasCode('AUTH_FAILED')(err));
        messages.push((err as Error).message);
        return true;
      });
    }
    assert.equal(new Set(messages).size, 1, `one message for every failure: ${messages}`);
  });

  it('writes the file with mode 0600 even under a permissive umask, and leaves no temporary files', async () => {
    const path = freshPath();
    const previousUmask = process.umask(0);
    try {
      const store = await UserStore.open(path);
      await store.createUser('alice', 'pw', false);
      await store.createUser('bob', 'pw', false);
    } finally {
      process.umask(previousUmask);
    }
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  });

  it('ensureAdmin: first start creates admin with a generated password, later starts change nothing', async () => {
    const path = freshPath();
    const first = await (await UserStore.open(path)).ensureAdmin(undefined);
    assert.equal(first.created, true);
    assert.match(first.generatedPassword ?? '', /^[A-Za-z0-9_-]{24}$/);
    const before = await readFile(path, 'utf8');

    const store = await UserStore.open(path);
    assert.deepEqual(await store.ensureAdmin('a-configured-password'), { created: false });
    assert.equal(await readFile(path, 'utf8'), before, 'the file is untouched');
    await store.authenticate(ADMIN_USER, first.generatedPassword!);
    assert.ok(store.isAdmin(ADMIN_USER));
    await assert.rejects(store.authenticate(ADMIN_USER, 'a-configured-password'), hasCode('AUTH_FAILED'));
  });

  it('ensureAdmin uses the configured password when there is one, and an empty one counts as none', async () => {
    const configured = await UserStore.open(freshPath());
    assert.deepEqual(await configured.ensureAdmin('from-config'), { created: true });
    await configured.authenticate(ADMIN_USER, 'from-config');
    const empty = await UserStore.open(freshPath());
    assert.ok((await empty.ensureAdmin('')).generatedPassword);
  });

  it('two ensureAdmin calls at once create one admin', async () => {
    const store = await UserStore.open(freshPath());
    const results = await Promise.all([store.ensureAdmin(undefined), store.ensureAdmin(undefined)]);
    assert.deepEqual(results.map((r) => r.created), [true, false]);
  });

  it('concurrent createUser calls all reach the file', async () => {
    const path = freshPath();
    const store = await UserStore.open(path);
    await Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => store.createUser(u, 'pw', false)));
    assert.deepEqual(Object.keys(JSON.parse(await readFile(path, 'utf8')).users), ['u1', 'u2', 'u3', 'u4']);
  });

  it('refuses duplicate and malformed users with BAD_USER and keeps the file as it was', async () => {
    const path = freshPath();
    const store = await UserStore.open(path);
    await store.createUser('alice', 'pw', false);
    const before = await readFile(path, 'utf8');
    await assert.rejects(store.createUser('alice', 'other', true), hasCode('BAD_USER'));
    for (const name of ['', '1starts-with-digit', 'has space', 'x'.repeat(65), 'semi;colon']) {
      await assert.rejects(store.createUser(name, 'pw', false), hasCode('BAD_USER'), name);
    }
    await assert.rejects(store.createUser('bob', '', false), hasCode('BAD_USER'));
    await assert.rejects(store.createUser('bob', 'x'.repeat(1025), false), hasCode('BAD_USER'));
    assert.equal(await readFile(path, 'utf8'), before);
    await store.authenticate('alice', 'pw');
  });

  it('refuses a damaged users file on open with USERS_FILE, saying what to do', async () => {
    for (const text of ['{not json', '[]', '{"version":2,"users":{}}', '{"version":1,"users":{"alice":{"isAdmin":true}}}']) {
      const path = freshPath();
      await writeFile(path, text);
      await assert.rejects(UserStore.open(path), (err: unknown) => hasCode('USERS_FILE')(err) && /restore it from a backup/.test((err as Error).message), text);
    }
  });

  it('reports an unwritable location with USERS_FILE and keeps the change out of memory', async () => {
    const store = await UserStore.open(join(dir, 'no-such-dir', 'users.json'));
    await assert.rejects(store.createUser('alice', 'pw', false), hasCode('USERS_FILE'));
    assert.equal(store.hasUser('alice'), false);
  });
});
