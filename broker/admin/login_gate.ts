// Who may read the admin API: the node's own users (the same login as clients). Two ways in:
//   - HTTP Basic on every request (curl, Prometheus): the password is checked with scrypt, which is
//     slow on purpose, so a success is remembered briefly (keyed by an HMAC of the credentials, never
//     the password itself), and checks of the same credentials running at once share one scrypt;
//   - POST /api/login {userId, password} -> an HttpOnly session cookie (the page): a random token with
//     an idle and an absolute expiry, in a bounded map; POST /api/logout forgets it.
// Everything is bounded: sessions, remembered credentials, and password checks in flight (more get
// 503 Busy, so a flood of wrong passwords cannot queue unbounded scrypt work).

import { createHmac, randomBytes } from 'node:crypto';
import { AuthError } from '../auth/errors.js';
import type { HttpReply, HttpRequestInfo, HttpRoute } from '../server/node_server.js';
import { AdminError, errorReply, jsonReply } from './admin_error.js';

export interface PasswordCheck {
  /** Resolves when the password is right; rejects with AuthError AUTH_FAILED otherwise (UserStore does). */
  authenticate(userId: string, password: string): Promise<void>;
}

export interface LoginGateOptions {
  users: PasswordCheck;
  /** Cookies ignore ports, so each node needs its own name, e.g. shoal_session_<port>. */
  cookieName: string;
  nowMs(): number;
  /** A new session token; default 32 random bytes, base64url. */
  newToken?(): string;
  /** A session unused this long is gone; default 30 minutes (the page uses it every second). */
  sessionIdleMs?: number;
  /** A session is gone this long after login, used or not; default 12 hours. */
  sessionMaxMs?: number;
  /** Sessions kept at most; a login beyond it pushes out the oldest; default 1024. */
  maxSessions?: number;
  /** How long a successful password check is remembered; default 60 s. */
  rememberMs?: number;
  /** Successful checks remembered at most (oldest out first); default 256. */
  maxRemembered?: number;
  /** Password checks (scrypt) running at once at most; default 8. */
  maxChecksInFlight?: number;
}

/** The header a page's fetch() sends, so a 401 carries no WWW-Authenticate and the browser shows no password dialog. */
export const PAGE_HEADER = 'x-shoal-page';

interface Session {
  userId: string;
  createdAtMs: number;
  lastUsedAtMs: number;
}

export interface LoggedIn {
  userId: string;
  via: 'session' | 'basic';
}

export class LoginGate {
  private readonly sessions = new Map<string, Session>(); // token -> session, in order of creation
  private readonly remembered = new Map<string, { userId: string; expiresAtMs: number }>(); // credentials HMAC -> user, oldest first
  private readonly checking = new Map<string, Promise<void>>(); // credentials HMAC -> the scrypt check running for them
  private readonly keySecret = randomBytes(32); // HMAC key of `remembered`: only this process can match an entry
  private readonly o: Required<LoginGateOptions>;

  constructor(options: LoginGateOptions) {
    this.o = {
      newToken: () => randomBytes(32).toString('base64url'),
      sessionIdleMs: 30 * 60_000, sessionMaxMs: 12 * 3_600_000, maxSessions: 1024,
      rememberMs: 60_000, maxRemembered: 256, maxChecksInFlight: 8,
      ...options,
    };
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get rememberedCount(): number {
    return this.remembered.size;
  }

  /** Who sent the request: a live session cookie first, then HTTP Basic. Throws AdminError (AuthRequired, AuthFailed, Busy). */
  async check(req: HttpRequestInfo): Promise<LoggedIn> {
    const token = cookieValue(req.headers['cookie'], this.o.cookieName);
    const session = token === undefined ? undefined : this.liveSession(token);
    if (session) return { userId: session.userId, via: 'session' };
    const authorization = req.headers['authorization'];
    if (authorization !== undefined) {
      const { userId, password } = parseBasic(authorization);
      await this.verify(userId, password);
      return { userId, via: 'basic' };
    }
    if (token !== undefined) throw new AdminError('AuthRequired', 'your session expired or was logged out; log in again');
    throw new AdminError('AuthRequired', 'log in first: POST /api/login {"userId","password"} for a session cookie, or send Authorization: Basic');
  }

  /** `route`, answered only for a logged-in request; anything else gets 401 (503 when too many checks run). */
  requireLogin(route: HttpRoute): HttpRoute {
    return async (req) => {
      try {
        await this.check(req);
      } catch (err) {
        if (err instanceof AdminError) return this.refusal(req, err);
        throw err;
      }
      return route(req);
    };
  }

  /** POST /api/login with {"userId", "password"}: sets the session cookie. */
  async login(req: HttpRequestInfo): Promise<HttpReply> {
    try {
      if (req.method !== 'POST') throw new AdminError('MethodNotAllowed', 'log in with POST /api/login and a JSON body {"userId": "...", "password": "..."}');
      const { userId, password } = parseLoginBody(req.body);
      await this.verify(userId, password);
      const now = this.o.nowMs();
      this.dropExpiredSessions(now);
      while (this.sessions.size >= this.o.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
      const token = this.o.newToken();
      this.sessions.set(token, { userId, createdAtMs: now, lastUsedAtMs: now });
      const maxAgeSeconds = Math.floor(this.o.sessionMaxMs / 1000);
      return jsonReply({ userId, sessionIdleSeconds: Math.floor(this.o.sessionIdleMs / 1000) }, {
        'set-cookie': `${this.o.cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`,
      });
    } catch (err) {
      if (err instanceof AdminError) return errorReply(err, err.code === 'Busy' ? { 'retry-after': '1' } : {});
      throw err;
    }
  }

  /** POST /api/logout: forgets the session of the cookie (if any) and clears the cookie. Needs no login. */
  logout(req: HttpRequestInfo): HttpReply {
    if (req.method !== 'POST') return errorReply(new AdminError('MethodNotAllowed', 'log out with POST /api/logout'));
    const token = cookieValue(req.headers['cookie'], this.o.cookieName);
    const existed = token !== undefined && this.sessions.delete(token);
    return jsonReply({ loggedOut: existed }, { 'set-cookie': `${this.o.cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` });
  }

  private refusal(req: HttpRequestInfo, err: AdminError): HttpReply {
    const headers: Record<string, string> = {};
    if (err.code === 'Busy') headers['retry-after'] = '1';
    else if (req.headers[PAGE_HEADER] === undefined) headers['www-authenticate'] = 'Basic realm="shoal", charset="UTF-8"';
    return errorReply(err, headers);
  }

  private liveSession(token: string): Session | undefined {
    const s = this.sessions.get(token);
    if (s === undefined) return undefined;
    const now = this.o.nowMs();
    if (this.expired(s, now)) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastUsedAtMs = now;
    return s;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastUsedAtMs >= this.o.sessionIdleMs || now - s.createdAtMs >= this.o.sessionMaxMs;
  }

  private dropExpiredSessions(now: number): void {
    for (const [token, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(token);
  }

  /** Resolves when the password is right: remembered, or one scrypt check shared by every request carrying it. */
  private async verify(userId: string, password: string): Promise<void> {
    const key = createHmac('sha256', this.keySecret).update(userId).update('\0').update(password).digest('base64');
    const known = this.remembered.get(key);
    if (known !== undefined) {
      if (known.expiresAtMs > this.o.nowMs()) return;
      this.remembered.delete(key);
    }
    let running = this.checking.get(key);
    if (running === undefined) {
      if (this.checking.size >= this.o.maxChecksInFlight) throw new AdminError('Busy', `${this.checking.size} password checks are running; retry in a second`);
      running = this.o.users.authenticate(userId, password).then(() => this.remember(key, userId)).finally(() => this.checking.delete(key));
      this.checking.set(key, running);
    }
    try {
      await running;
    } catch (err) {
      if (err instanceof AuthError && err.code === 'AUTH_FAILED') throw new AdminError('AuthFailed', 'wrong user name or password; check both and log in again');
      throw err;
    }
  }

  private remember(key: string, userId: string): void {
    this.remembered.delete(key);
    while (this.remembered.size >= this.o.maxRemembered) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, { userId, expiresAtMs: this.o.nowMs() + this.o.rememberMs });
  }
}

/** The value of cookie `name` in a Cookie header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function parseBasic(header: string): { userId: string; password: string } {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new AdminError('AuthFailed', 'the Authorization header must be "Basic " and the base64 of user:password');
  return { userId: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function parseLoginBody(body: Uint8Array | undefined): { userId: string; password: string } {
  const bad = new AdminError('BadRequest', 'send a JSON body {"userId": "...", "password": "..."} with both as strings');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body ?? new Uint8Array()).toString('utf8'));
  } catch {
    throw bad;
  }
  const v = value as { userId?: unknown; password?: unknown } | null;
  if (typeof v !== 'object' || v === null || typeof v.userId !== 'string' || typeof v.password !== 'string' || v.userId === '') throw bad;
  return { userId: v.userId, password: v.password };
}
