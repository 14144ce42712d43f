// The admin API of three real data node processes (one HA group): every endpoint refused without a
// login and answered with one (HTTP Basic, or the cookie of POST /api/login), from each node's own
// view; a table with rows and a live subscription show up where they should; logout ends the cookie.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, ShoalClient } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, TestCluster, waitFor } from '../node/cluster_harness.js';
import { BASIC_ADMIN, baseUrl, getJson, leaderIndex } from './admin_http.js';

const API = ['/info/peers', '/api/groups', '/api/tables', '/api/subscriptions', '/api/nodes'];
const GROUP = 2;

let cluster: TestCluster;
const clients: ShoalClient[] = [];

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: GROUP }] });
  await cluster.startAll();
});

after(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await cluster?.destroy();
});

test('without a login every API path is 401 with a JSON error and WWW-Authenticate; the page and /health are open', async () => {
  for (const path of API) {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` }];
    for (const headers of attempts) {
      const res = await fetch(`${baseUrl(cluster, 0)}${path}`, { headers });
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /, path);
      const body = await res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'authorization' in headers ? 'AuthFailed' : 'AuthRequired');
    }
  }
  const page = await fetch(`${baseUrl(cluster, 0)}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await page.text(), /<script src="\/app.js">/);
  const script = await fetch(`${baseUrl(cluster, 0)}/app.js`);
  assert.equal(script.status, 200);
  assert.match(await script.text(), /\/api\/nodes/);
  assert.equal((await fetch(`${baseUrl(cluster, 0)}/health`)).status, 200);
});

test('with HTTP Basic every node answers every path from its own view: one leader, three members up', async () => {
  const leader = await leaderIndex(cluster, GROUP);
  await waitFor('every node to see every peer link up', async () => {
    for (let i = 0; i < 3; i++) {
      const nodes = await getJson(`${baseUrl(cluster, i)}/api/nodes`);
      if (nodes.nodes.some((n: any) => n.state !== 'up')) return undefined;
    }
    return true;
  });
  for (let i = 0; i < 3; i++) {
    const self = `127.0.0.1:${cluster.nodes[i]!.port}:${cluster.nodes[i]!.alias}`;
    for (const path of API) assert.equal((await getJson(`${baseUrl(cluster, i)}${path}`)).servedBy, self, path);

    const peers = await getJson(`${baseUrl(cluster, i)}/info/peers`);
    assert.equal(peers.groups.length, 1);
    const g = peers.groups[0];
    assert.equal(g.id, GROUP);
    assert.deepEqual(g.peers.map((p: any) => p.alias), ['dn1', 'dn2', 'dn3']);
    await waitFor(`dn${i + 1} to know the leader`, async () => {
      const p = (await getJson(`${baseUrl(cluster, i)}/info/peers`)).groups[0];
      return p.leader === `127.0.0.1:${cluster.nodes[leader]!.port}:${cluster.nodes[leader]!.alias}` ? true : undefined;
    });
    const now = (await getJson(`${baseUrl(cluster, i)}/info/peers`)).groups[0];
    assert.deepEqual(now.peers.map((p: any) => p.role), [0, 1, 2].map((k) => (k === leader ? 'leader' : 'follower')));
    assert.deepEqual(now.peers.map((p: any) => p.state), ['up', 'up', 'up']);

    const groups = await getJson(`${baseUrl(cluster, i)}/api/groups`);
    assert.deepEqual(groups.groups.map((x: any) => [x.id, x.ha]), [[1, false], [GROUP, true]]);
    const mine = groups.groups[1];
    assert.equal(mine.role, i === leader ? 'leader' : 'follower');
    assert.equal(typeof mine.commitLsn, 'number');
    assert.equal(mine.followers === null, i !== leader, 'only the leader lists follower progress');
  }
  const leaderGroups = await getJson(`${baseUrl(cluster, leader)}/api/groups`);
  assert.equal(leaderGroups.groups[1].followers.length, 2);
});

test('a table with rows and a live subscription: rows on every member, the subscription with its client on the leader', async () => {
  const leader = await leaderIndex(cluster, GROUP);
  const c = await connect({ host: '127.0.0.1', port: cluster.nodes[leader]!.port, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: 10_000 });
  clients.push(c);
  await c.haStreamTable(GROUP, [{ name: 'id', type: 'STRING' }, { name: 'qty', type: 'INT' }], 'trades', 1000, 'id');
  await c.append('trades', { id: ['a', 'b', 'c', 'a'], qty: [1, 2, 3, 4] });
  const received: string[] = [];
  const sub = await c.subscribeTable({ tableName: 'trades', actionName: 'audit', offset: 0, handler: (row: Record<string, unknown>) => { received.push(String(row['id'])); } });
  await waitFor('the subscriber to get the rows', () => (received.length === 3 ? true : undefined));

  for (let i = 0; i < 3; i++) {
    const t = await waitFor(`trades on dn${i + 1}`, async () => (await getJson(`${baseUrl(cluster, i)}/api/tables`)).tables.find((x: any) => x.name === 'trades' && x.rows === 3));
    assert.deepEqual([t.group, t.ha, t.keyed, t.keyColumns, t.firstOffset, t.nextOffset], [GROUP, true, true, ['id'], 0, 3]);
    assert.equal(t.leader.endsWith(`:${cluster.nodes[leader]!.alias}`), true);
  }
  const subs = await waitFor('the delivered offset', async () => {
    const doc = await getJson(`${baseUrl(cluster, leader)}/api/subscriptions`);
    return doc.subscriptions[0]?.deliveredOffset === 2 ? doc : undefined;
  });
  assert.deepEqual(subs.leaderOf, [1, GROUP]);
  const s = subs.subscriptions[0];
  assert.equal(s.topic, sub.topic);
  assert.deepEqual([s.table, s.action, s.live, s.lagRows, s.rowsDelivered], ['trades', 'audit', true, 0, 3]);
  assert.match(s.clientAddress, /127\.0\.0\.1|::1|7f00:1/, 'the subscriber connected over loopback');
  const follower = (leader + 1) % 3;
  const onFollower = await getJson(`${baseUrl(cluster, follower)}/api/subscriptions`);
  assert.equal(onFollower.subscriptions.some((x: any) => x.live), false, 'a follower serves no subscription');
  await sub.unsubscribe();
});

test('cookie login: POST /api/login opens every path for that node only; logout closes them; bad bodies are refused', async () => {
  const base = baseUrl(cluster, 1);
  const wrong = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'admin', password: 'nope' }) });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);
  const bad = await fetch(`${base}/api/login`, { method: 'POST', body: 'userId=admin' });
  assert.equal(bad.status, 400);
  const huge = await fetch(`${base}/api/login`, { method: 'POST', body: 'x'.repeat(200_000) });
  assert.equal(huge.status, 413);

  const ok = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'admin', password: ADMIN_PASSWORD }) });
  assert.equal(ok.status, 200);
  const setCookie = ok.headers.get('set-cookie') ?? '';
  assert.match(setCookie, new RegExp(`^shoal_session_${cluster.nodes[1]!.port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict`));
  const cookie = setCookie.split(';')[0]!;
  for (const path of API) assert.equal((await fetch(`${base}${path}`, { headers: { cookie } })).status, 200, path);
  assert.equal((await fetch(`${baseUrl(cluster, 0)}/api/nodes`, { headers: { cookie } })).status, 401, 'another node does not know this session');

  const out = await fetch(`${base}/api/logout`, { method: 'POST', headers: { cookie } });
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
  const after = await fetch(`${base}/api/nodes`, { headers: { cookie } });
  assert.equal(after.status, 401);
  assert.equal(((await after.json()) as any).error.code, 'AuthRequired');
});

test('CORS: a page of another cluster node may call with credentials, other origins may not', async () => {
  const base = baseUrl(cluster, 0);
  const otherNode = baseUrl(cluster, 2);
  const preflight = await fetch(`${base}/api/login`, { method: 'OPTIONS', headers: { origin: otherNode, 'access-control-request-method': 'POST' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), otherNode);
  assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
  const res = await fetch(`${base}/api/nodes`, { headers: { ...BASIC_ADMIN, origin: otherNode } });
  assert.equal(res.headers.get('access-control-allow-origin'), otherNode);
  const stranger = await fetch(`${base}/api/nodes`, { headers: { ...BASIC_ADMIN, origin: 'http://example.com' } });
  assert.equal(stranger.status, 200);
  assert.equal(stranger.headers.get('access-control-allow-origin'), null);
});
