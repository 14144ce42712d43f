// The users of one node: one JSON file of user ids and scrypt hashes, replaced atomically (write a
// temporary file, fsync, rename) and readable by the owner only. The first start creates `admin`.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { CodedError } from '../../storage/state/errors.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type AuthErrorCode = 'AUTH_FAILED' | 'AUTH_REQUIRED' | 'BAD_USER' | 'USERS_FILE';

export class AuthError extends CodedError<AuthErrorCode> {
  override readonly name = 'AuthError';
}

interface UserRecord {
  hash: string;
  isAdmin: boolean;
}

interface UsersFile {
  version: 1;
  users: Record<string, UserRecord>;
}

const USER_ID = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export class UserStore {
  private constructor(private readonly path: string, private readonly file: UsersFile) {}

  static async open(path: string): Promise<UserStore> {
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new AuthError('USERS_FILE', `cannot read ${path}: ${(err as Error).message}`);
    }
    if (text === undefined) return new UserStore(path, { version: 1, users: {} });
    let file: UsersFile;
    try {
      file = JSON.parse(text) as UsersFile;
    } catch {
      throw new AuthError('USERS_FILE', `${path} is not valid JSON; restore it from a backup or delete it to recreate the admin account`);
    }
    if (file.version !== 1 || typeof file.users !== 'object' || file.users === null) throw new AuthError('USERS_FILE', `${path} has an unknown format (version ${String(file.version)})`);
    return new UserStore(path, file);
  }

  /** First start: creates `admin` with the configured password, or a generated one returned for printing once. */
  async ensureAdmin(configuredPassword: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    if (this.file.users['admin']) return { created: false };
    const generated = configuredPassword === undefined ? randomBytes(12).toString('base64url') : undefined;
    await this.createUser('admin', configuredPassword ?? generated!, true);
    return generated === undefined ? { created: true } : { created: true, generatedPassword: generated };
  }

  /** The same error for an unknown user and a wrong password, so ids cannot be probed. */
  async authenticate(userId: string, password: string): Promise<void> {
    const user = this.file.users[userId];
    const ok = user !== undefined && typeof password === 'string' && (await verifyPassword(password, user.hash));
    if (!ok) throw new AuthError('AUTH_FAILED', 'wrong user id or password');
  }

  async createUser(userId: string, password: string, isAdmin: boolean): Promise<void> {
    if (!USER_ID.test(userId)) throw new AuthError('BAD_USER', `user id "${userId}" must start with a letter or _ and hold at most 64 letters, digits, _ . -`);
    if (password.length === 0) throw new AuthError('BAD_USER', 'a password may not be empty');
    if (this.file.users[userId]) throw new AuthError('BAD_USER', `user ${userId} already exists`);
    this.file.users[userId] = { hash: await hashPassword(password), isAdmin };
    this.save();
  }

  private save(): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.file, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
