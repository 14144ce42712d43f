// The admin login: HTTP Basic (ok, wrong, missing, malformed), remembered successes and their bound,
// shared and bounded password checks, session cookies (login, expiry, logout, bound), CORS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError } from '../../broker/auth/errors.js';
import { LoginGate, PasswordCheck, cookieValue } from '../../broker/admin/login_gate.js';
import { withCors } from '../../broker/admin/admin_routes.js';
import type { HttpReply, HttpRequestInfo, HttpRoute } from '../../broker/server/node_server.js';

class FakeUsers implements PasswordCheck {
  checks = 0;
  /** When set, checks wait until release() is called. */
  private held: Array<() => void> | undefined;
  constructor(private readonly passwords: Record<string, string>) {}
  hold(): void {
    this.held = [];
  }
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const w of waiting) w();
  }
  async authenticate(userId: string, password: string): Promise<void> {
    this.checks++;
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.passwords[userId] !== password) throw new AuthError('AUTH_FAILED', 'wrong user name or password');
  }
}

function setup(o: Partial<ConstructorParameters<typeof LoginGate>[0]> = {}) {
  const clock = { now: 1_000_000 };
  const users = new FakeUsers({ admin: 'secret', ops: 'pw2' });
  let tokens = 0;
  const gate = new LoginGate({ users, cookieName: 'shoal_session_8901', nowMs: () => clock.now, newToken: () => `token${++tokens}`, ...o });
  const route = gate.requireLogin(() => ({ status: 200, contentType: 'application/json', body: '{"ok":true}' }));
  return { clock, users, gate, route };
}

function req(headers: Record<string, string> = {}, method = 'GET', body?: string): HttpRequestInfo {
  const r: HttpRequestInfo = { method, url: '/api/groups', query: '', headers };
  if (body !== undefined) r.body = new TextEncoder().encode(body);
  return r;
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const errorCode = (r: HttpReply) => JSON.parse(String(r.body)).error.code as string;

test('HTTP Basic: right password passes, wrong and missing get 401 with WWW-Authenticate (not for the page)', async () => {
  const { route, users } = setup();
  assert.equal((await route(req(basic('admin', 'secret')))).status, 200);
  const wrong = await route(req(basic('admin', 'nope')));
  assert.equal(wrong.status, 401);
  assert.equal(errorCode(wrong), 'AuthFailed');
  assert.match(wrong.headers?.['www-authenticate'] ?? '', /^Basic realm="shoal"/);
  const missing = await route(req());
  assert.equal(missing.status, 401);
  assert.equal(errorCode(missing), 'AuthRequired');
  assert.equal(missing.contentType, 'application/json');
  const fromPage = await route(req({ 'x-shoal-page': '1' }));
  assert.equal(fromPage.status, 401);
  assert.equal(fromPage.headers?.['www-authenticate'], undefined, 'a page fetch must not open the browser password dialog');
  const malformed = await route(req({ authorization: 'Basic bm9jb2xvbg==' })); // "nocolon"
  assert.equal(errorCode(malformed), 'AuthFailed');
  assert.equal((await route(req({ authorization: 'Bearer x' }))).status, 401);
  assert.equal(users.checks, 2, 'only well-formed credentials reach the password check');
});

test('a successful Basic check is remembered for rememberMs, so scrypt runs once; a failure is not remembered', async () => {
  const { route, users, clock } = setup({ rememberMs: 60_000 });
  for (let i = 0; i < 5; i++) assert.equal((await route(req(basic('admin', 'secret')))).status, 200);
  assert.equal(users.checks, 1);
  for (let i = 0; i < 3; i++) assert.equal((await route(req(basic('admin', 'bad')))).status, 401);
  assert.equal(users.checks, 4);
  clock.now += 60_000;
  assert.equal((await route(req(basic('admin', 'secret')))).status, 200);
  assert.equal(users.checks, 5, 'checked again once remembering expired');
});

test('remembered successes are bounded: the oldest is forgotten first', async () => {
  const passwords: Record<string, string> = {};
  for (let i = 0; i < 10; i++) passwords[`u${i}`] = `p${i}`;
  const users = new FakeUsers(passwords);
  const gate = new LoginGate({ users, cookieName: 'c', nowMs: () => 0, maxRemembered: 3 });
  const route = gate.requireLogin(() => ({ status: 200, contentType: 'text/plain', body: '' }));
  for (let i = 0; i < 10; i++) assert.equal((await route(req(basic(`u${i}`, `p${i}`)))).status, 200);
  assert.equal(gate.rememberedCount, 3);
  await route(req(basic('u9', 'p9')));
  assert.equal(users.checks, 10, 'the newest is still remembered');
  await route(req(basic('u0', 'p0')));
  assert.equal(users.checks, 11, 'the oldest was forgotten');
});

test('checks of the same credentials share one scrypt; too many different checks at once get 503 Busy', async () => {
  const { route, users } = setup({ maxChecksInFlight: 2 });
  users.hold();
  const same = [1, 2, 3, 4].map(() => route(req(basic('admin', 'secret'))));
  const other = route(req(basic('ops', 'pw2')));
  const third = await route(req(basic('admin', 'guess')));
  assert.equal(third.status, 503);
  assert.equal(errorCode(third), 'Busy');
  assert.equal(third.headers?.['retry-after'], '1');
  assert.equal(users.checks, 2);
  users.release();
  for (const r of await Promise.all([...same, other])) assert.equal(r.status, 200);
  assert.equal((await route(req(basic('admin', 'guess')))).status, 401, 'room again once the checks ended');
});

test('cookie login: POST /api/login sets an HttpOnly cookie that opens the API; it expires when idle and at its maximum age', async () => {
  const { gate, route, clock, users } = setup({ sessionIdleMs: 10_000, sessionMaxMs: 25_000 });
  const ok = await gate.login(req({}, 'POST', JSON.stringify({ userId: 'admin', password: 'secret' })));
  assert.equal(ok.status, 200);
  const setCookie = ok.headers?.['set-cookie'] ?? '';
  assert.match(setCookie, /^shoal_session_8901=token1; Path=\/; HttpOnly; SameSite=Strict; Max-Age=25$/);
  const cookie = { cookie: 'other=1; shoal_session_8901=token1' };
  assert.equal((await route(req(cookie))).status, 200);
  clock.now += 9_000;
  assert.equal((await route(req(cookie))).status, 200, 'each use keeps an idle session alive');
  clock.now += 9_000;
  assert.equal((await route(req(cookie))).status, 200);
  clock.now += 8_000; // 26 s after login: past the maximum age although used 8 s ago
  const expired = await route(req(cookie));
  assert.equal(expired.status, 401);
  assert.match(JSON.parse(String(expired.body)).error.message, /expired/);
  assert.equal(gate.sessionCount, 0);

  await gate.login(req({}, 'POST', JSON.stringify({ userId: 'admin', password: 'secret' })));
  clock.now += 10_000; // idle for sessionIdleMs
  assert.equal((await route(req({ cookie: 'shoal_session_8901=token2' }))).status, 401);
  assert.equal((await route(req({ cookie: 'shoal_session_8901=forged' }))).status, 401);
  assert.equal(users.checks, 1, 'the second login was remembered; cookies never run a password check');
});

test('cookie login refuses wrong passwords, bad bodies and GET; logout ends the session and clears the cookie', async () => {
  const { gate, route } = setup();
  const wrong = await gate.login(req({}, 'POST', JSON.stringify({ userId: 'admin', password: 'x' })));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers?.['set-cookie'], undefined);
  for (const body of ['', 'not json', '{"userId":"admin"}', '{"userId":1,"password":"secret"}', 'null']) {
    const r = await gate.login(req({}, 'POST', body));
    assert.equal(r.status, 400, body);
    assert.equal(errorCode(r), 'BadRequest');
  }
  assert.equal((await gate.login(req({}, 'GET'))).status, 405);

  await gate.login(req({}, 'POST', JSON.stringify({ userId: 'admin', password: 'secret' })));
  const cookie = { cookie: 'shoal_session_8901=token1' };
  assert.equal((await route(req(cookie))).status, 200);
  const out = gate.logout(req(cookie, 'POST'));
  assert.equal(out.status, 200);
  assert.deepEqual(JSON.parse(String(out.body)), { loggedOut: true });
  assert.match(out.headers?.['set-cookie'] ?? '', /^shoal_session_8901=; .*Max-Age=0$/);
  assert.equal((await route(req(cookie))).status, 401);
  assert.deepEqual(JSON.parse(String(gate.logout(req(cookie, 'POST')).body)), { loggedOut: false });
});

test('sessions are bounded: a login beyond maxSessions pushes out the oldest', async () => {
  const { gate, route } = setup({ maxSessions: 3 });
  for (let i = 0; i < 5; i++) await gate.login(req({}, 'POST', JSON.stringify({ userId: 'admin', password: 'secret' })));
  assert.equal(gate.sessionCount, 3);
  assert.equal((await route(req({ cookie: 'shoal_session_8901=token2' }))).status, 401);
  assert.equal((await route(req({ cookie: 'shoal_session_8901=token3' }))).status, 200);
  assert.equal((await route(req({ cookie: 'shoal_session_8901=token5' }))).status, 200);
});

test('cookieValue reads one cookie among several', () => {
  assert.equal(cookieValue('a=1; shoal=x=y; b=2', 'shoal'), 'x=y');
  assert.equal(cookieValue('a=1', 'shoal'), undefined);
  assert.equal(cookieValue(undefined, 'shoal'), undefined);
  assert.equal(cookieValue('xshoal=1', 'shoal'), undefined);
});

test('CORS: only the cluster nodes\' origins may read replies with credentials; preflights are answered', async () => {
  const inner: HttpRoute = () => ({ status: 401, contentType: 'application/json', body: '{}', headers: { 'www-authenticate': 'Basic' } });
  const route = withCors(new Set(['http://127.0.0.1:8902']), inner);
  const fromPeer = await route(req({ origin: 'http://127.0.0.1:8902' }));
  assert.equal(fromPeer.status, 401);
  assert.equal(fromPeer.headers?.['access-control-allow-origin'], 'http://127.0.0.1:8902');
  assert.equal(fromPeer.headers?.['access-control-allow-credentials'], 'true');
  assert.equal(fromPeer.headers?.['www-authenticate'], 'Basic', 'the route\'s own headers stay');
  const fromElsewhere = await route(req({ origin: 'http://evil.example' }));
  assert.equal(fromElsewhere.headers?.['access-control-allow-origin'], undefined);
  const preflight = await route(req({ origin: 'http://127.0.0.1:8902' }, 'OPTIONS'));
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers?.['access-control-allow-headers'] ?? '', /x-shoal-page/);
  const badPreflight = await route(req({ origin: 'http://evil.example' }, 'OPTIONS'));
  assert.equal(badPreflight.headers?.['access-control-allow-methods'], undefined);
});
