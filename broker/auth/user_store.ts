// The users of a node: one JSON file (e.g. <home>/users.json, mode 0600) holding scrypt hashes.
// Every change writes a whole new file atomically (tmp + fsync + rename + fsync of the directory),
// one change at a time, and updates memory only once the file is durable.
//
//   { "version": 1, "users": { "admin": { "passwordHash": "scrypt$16384$8$1$...", "isAdmin": true } } }

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { messageOf } from '../../storage/state/errors.js';
import { AuthError } from './errors.js';
import { hashPassword, verifyPassword } from './password.js';

export const ADMIN_USER = 'admin';
const FILE_VERSION = 1;
const FILE_MODE = 0o600;
const USER_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_PASSWORD_CHARS = 1024;
/**
 * Longer login passwords fail unhashed: normalizing and hashing run on the event loop, and a client frame
 * may hold megabytes. Room above MAX_PASSWORD_CHARS for the same password in a longer Unicode form (NFD).
 */
const MAX_LOGIN_PASSWORD_CHARS = 4 * MAX_PASSWORD_CHARS;
/** A generated admin password: 18 random bytes, 24 characters of base64url. */
const GENERATED_PASSWORD_BYTES = 18;

interface StoredUser {
  passwordHash: string;
  isAdmin: boolean;
}

type Users = ReadonlyMap<string, StoredUser>;

export class UserStore {
  private changes: Promise<unknown> = Promise.resolve(); // the tail of the one-at-a-time change queue
  /** Hashed once, checked against when the user is unknown, so both failures take the same time. */
  private decoyHash: Promise<string> | undefined;

  private constructor(
    readonly path: string,
    private users: Users, // invariant: equal to the content of the file at `path` (or empty if it does not exist)
  ) {}

  /** Reads the file, or starts empty if there is none yet (it is created by the first change). */
  static async open(path: string): Promise<UserStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new UserStore(path, new Map());
      throw new AuthError('USERS_FILE', `cannot read ${path} (${messageOf(err)}); check the file's owner and permissions`, { cause: err });
    }
    return new UserStore(path, parseUsersFile(path, text));
  }

  /**
   * First start: creates user "admin" with `configuredPassword`, or with a random password that is
   * returned once for the caller to print. Later starts (an admin exists): no change.
   * An empty configured password counts as not configured.
   */
  ensureAdmin(configuredPassword: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    return this.change(async () => {
      if (this.users.has(ADMIN_USER)) return { created: false };
      const generated = configuredPassword ? undefined : randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');
      await this.addUser(ADMIN_USER, configuredPassword || generated!, true);
      return generated === undefined ? { created: true } : { created: true, generatedPassword: generated };
    });
  }

  /**
   * Resolves if the password is right; AUTH_FAILED (the same error) for an unknown user or a wrong password.
   * An overlong password (MAX_LOGIN_PASSWORD_CHARS) fails before any hashing, so a login costs one bounded scrypt.
   */
  async authenticate(userId: string, password: string): Promise<void> {
    if (password.length > MAX_LOGIN_PASSWORD_CHARS) throw authFailed();
    const user = this.users.get(userId);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.decoy()));
    if (!ok || user === undefined) throw authFailed();
  }

  /** BAD_USER if the name is taken or malformed, or the password empty or too long. */
  createUser(userId: string, password: string, isAdmin: boolean): Promise<void> {
    return this.change(() => this.addUser(userId, password, isAdmin));
  }

  hasUser(userId: string): boolean {
    return this.users.has(userId);
  }

  isAdmin(userId: string): boolean {
    return this.users.get(userId)?.isAdmin === true;
  }

  private async addUser(userId: string, password: string, isAdmin: boolean): Promise<void> {
    if (!USER_ID.test(userId)) {
      throw new AuthError('BAD_USER', `user name "${userId.slice(0, 80)}" is not valid; use 1 to 64 letters, digits, '_', '.', '-', starting with a letter`);
    }
    if (password.length === 0 || password.length > MAX_PASSWORD_CHARS) {
      throw new AuthError('BAD_USER', `the password of ${userId} must have 1 to ${MAX_PASSWORD_CHARS} characters`);
    }
    if (this.users.has(userId)) throw new AuthError('BAD_USER', `user ${userId} already exists; choose another name`);
    const next = new Map(this.users);
    next.set(userId, { passwordHash: await hashPassword(password), isAdmin });
    await writeUsersFile(this.path, next);
    this.users = next;
  }

  /** Runs changes one after another, so each one reads the state the previous one wrote. */
  private change<T>(run: () => Promise<T>): Promise<T> {
    const result = this.changes.then(run);
    this.changes = result.catch(() => undefined);
    return result;
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashPassword(randomBytes(16).toString('base64'));
    return this.decoyHash;
  }
}

function authFailed(): AuthError {
  return new AuthError('AUTH_FAILED', 'wrong user name or password; check both and log in again');
}

function parseUsersFile(path: string, text: string): Users {
  const bad = (problem: string): AuthError =>
    new AuthError('USERS_FILE', `${path}: ${problem}; restore it from a backup, or delete it to start over with a new admin password`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(`not valid JSON (${messageOf(err)})`);
  }
  const file = json as { version?: unknown; users?: unknown };
  if (typeof file !== 'object' || file === null || file.version !== FILE_VERSION) throw bad(`expected {"version": ${FILE_VERSION}, "users": {...}}`);
  if (typeof file.users !== 'object' || file.users === null || Array.isArray(file.users)) throw bad('"users" is not an object');
  const users = new Map<string, StoredUser>();
  for (const [userId, value] of Object.entries(file.users)) {
    const u = value as Partial<StoredUser> | null;
    if (!USER_ID.test(userId) || typeof u?.passwordHash !== 'string' || typeof u.isAdmin !== 'boolean') throw bad(`user "${userId.slice(0, 80)}" is malformed`);
    users.set(userId, { passwordHash: u.passwordHash, isAdmin: u.isAdmin });
  }
  return users;
}

async function writeUsersFile(path: string, users: Users): Promise<void> {
  const sorted = Object.fromEntries([...users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const text = `${JSON.stringify({ version: FILE_VERSION, users: sorted }, null, 2)}\n`;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(tmp, 'wx', FILE_MODE);
    try {
      await file.chmod(FILE_MODE); // the umask cannot widen it, but be explicit about what a reader may expect
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync(); // the rename itself must survive a power loss
    } finally {
      await dir.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new AuthError('USERS_FILE', `cannot write ${path} (${messageOf(err)}); check that its directory exists and is writable`, { cause: err });
  }
}
