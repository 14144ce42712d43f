// The pure parts of the HA client: the site rotation and its rounds (site_list.ts), what a failure
// means for each kind of call (failover_policy.ts), who leads what (leader_map.ts), the producer
// sequence and its in-flight window (producer_sequence.ts), and keepalive on a fake clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock } from '../../clients/clock.js';
import { FIRST_BACKOFF_MS, failoverStep, retryDelayMs } from '../../clients/failover_policy.js';
import { firstSubscribeStep } from '../../clients/first_subscribe_walk.js';
import { KeepAlive } from '../../clients/keep_alive.js';
import { LeaderMap } from '../../clients/leader_map.js';
import { ProducerSequence } from '../../clients/producer_sequence.js';
import { ShoalError } from '../../clients/shoal_error.js';
import { SiteList, SiteRotation, parseSiteAddress, siteAddressOf } from '../../clients/site_list.js';

const site = (text: string) => parseSiteAddress(text)!;

/** A clock whose time moves only when the test says; timers fire in due order. */
class FakeClock implements Clock {
  now = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  nowMs(): number {
    return this.now;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

// ---- site_list ----------------------------------------------------------------------------------

test('sites parse as host:port or host:port:alias, are compared by host:port, and gain an alias once known', () => {
  assert.deepEqual(parseSiteAddress('10.0.0.1:8902'), { host: '10.0.0.1', port: 8902, key: '10.0.0.1:8902', label: '10.0.0.1:8902' });
  assert.equal(parseSiteAddress('10.0.0.1:8902:dn1')?.key, '10.0.0.1:8902');
  for (const bad of ['10.0.0.1', 'host:port', ':8902', 'a:0', 'a:70000', '']) assert.equal(parseSiteAddress(bad), undefined, bad);
  const list = new SiteList([siteAddressOf('h', 1), site('h:2:b')]);
  assert.equal(list.add(site('h:1:a')).label, 'h:1:a', 'the alias form replaces the bare one');
  assert.equal(list.add(site('h:1')).label, 'h:1:a', 'and stays');
  assert.deepEqual(list.all.map((s) => s.label), ['h:1:a', 'h:2:b']);
});

test('home is the last site that worked; a rotation walks on from the site that failed, round after round', () => {
  const list = new SiteList([site('h:1:a'), site('h:2:b'), site('h:3:c')]);
  assert.equal(list.home.label, 'h:1:a');
  list.worked(site('h:2'));
  assert.equal(list.home.label, 'h:2:b');
  const r = new SiteRotation(list, 2);
  const walked: string[] = [];
  let at = list.home;
  while (!r.exhausted) {
    walked.push(at.label);
    at = r.failed(at, `down ${r.failedAttempts}`);
    if (r.failedAttempts % 3 === 0 && !r.exhausted) assert.ok(r.roundJustEnded);
  }
  assert.deepEqual(walked, ['h:2:b', 'h:3:c', 'h:1:a', 'h:2:b', 'h:3:c', 'h:1:a'], 'two rounds of three sites');
  assert.equal(r.roundsDone, 2);
  assert.equal(r.describe(), 'h:2:b (down 3); h:3:c (down 4); h:1:a (down 5)', 'each site once, with its last reason');
});

test('tryReconnectNums -1 never runs out of rounds; 0 still makes one', () => {
  const list = new SiteList([site('h:1')]);
  const forever = new SiteRotation(list, -1);
  for (let i = 0; i < 1000; i++) forever.failed(list.home, 'x');
  assert.equal(forever.exhausted, false);
  const once = new SiteRotation(list, 0);
  assert.equal(once.exhausted, false);
  once.failed(list.home, 'x');
  assert.equal(once.exhausted, true);
});

// ---- failover_policy ----------------------------------------------------------------------------

const ha = { highAvailability: true, connecting: false };
const err = (code: string, options: ConstructorParameters<typeof ShoalError>[2] = {}) => new ShoalError(code, 'x', options);

test('NotLeader with a leader is followed; without one, and LeaderChanged / Busy / Unavailable, back off', () => {
  assert.deepEqual(failoverStep('haStreamTable', err('NotLeader', { leader: 'h:2:b' }), ha), { kind: 'followLeader', leader: 'h:2:b' });
  assert.deepEqual(failoverStep('append', err('NotLeader'), ha), { kind: 'backOff', rotate: true });
  assert.deepEqual(failoverStep('dropStreamTable', err('LeaderChanged'), ha), { kind: 'backOff', rotate: false });
  assert.deepEqual(failoverStep('append', err('Busy'), ha), { kind: 'backOff', rotate: false });
  assert.deepEqual(failoverStep('listTables', err('Unavailable'), ha), { kind: 'backOff', rotate: true });
  for (const code of ['UnknownTable', 'SchemaMismatch', 'SequenceTooOld', 'AuthFailed', 'Internal']) {
    assert.deepEqual(failoverStep('append', err(code), ha), { kind: 'fail' }, code);
  }
});

test('a broken connection: repeatable calls go to the next site, others are OutcomeUnknown unless never sent', () => {
  for (const method of ['append', 'readTable', 'listTables', 'getPersistenceMeta', 'setStreamTableFilterColumn', 'removeTopicOffset'] as const) {
    assert.deepEqual(failoverStep(method, err('ConnectionClosed', { outcome: 'unknown' }), ha), { kind: 'siteDown' }, method);
    assert.deepEqual(failoverStep(method, err('Timeout', { outcome: 'unknown' }), ha), { kind: 'siteDown' }, method);
  }
  for (const method of ['haStreamTable', 'streamTable', 'dropStreamTable'] as const) {
    assert.deepEqual(failoverStep(method, err('ConnectionClosed', { outcome: 'unknown' }), ha), { kind: 'outcomeUnknown' }, method);
    assert.deepEqual(failoverStep(method, err('ConnectionClosed', { outcome: 'notSent' }), ha), { kind: 'siteDown' }, method);
  }
  // The node's own Timeout: an append is safe to send again with its sequence; a table creation is not.
  assert.deepEqual(failoverStep('append', err('Timeout'), ha), { kind: 'backOff', rotate: false });
  assert.deepEqual(failoverStep('haStreamTable', err('Timeout'), ha), { kind: 'outcomeUnknown' });
});

test('opening a connection: a wrong password fails at once, anything else is the site\'s failure', () => {
  const connecting = { highAvailability: true, connecting: true };
  assert.deepEqual(failoverStep(undefined, err('AuthFailed'), connecting), { kind: 'fail' });
  for (const code of ['ConnectFailed', 'StartupFailed', 'Timeout', 'ConnectionClosed']) {
    assert.deepEqual(failoverStep('listTables', err(code), connecting), { kind: 'siteDown' }, code);
  }
});

test('reconnect without highAvailability retries only broken connections, never NotLeader or Busy', () => {
  const reconnect = { highAvailability: false, connecting: false };
  assert.deepEqual(failoverStep('append', err('NotLeader', { leader: 'h:2:b' }), reconnect), { kind: 'fail' });
  assert.deepEqual(failoverStep('append', err('Busy'), reconnect), { kind: 'fail' });
  assert.deepEqual(failoverStep('append', err('ConnectionClosed', { outcome: 'unknown' }), reconnect), { kind: 'siteDown' });
});

test('a first subscribe that failed: a named leader is followed, a site down or electing hands on, UnknownTable asks the others, the rest is final', () => {
  assert.deepEqual(firstSubscribeStep(err('NotLeader', { leader: 'h:2:b' })), { kind: 'follow', leader: site('h:2:b') });
  assert.deepEqual(firstSubscribeStep(err('ConnectionClosed', { leader: 'h:3:c' })), { kind: 'follow', leader: site('h:3:c') }, 'closed as made, naming the new leader');
  for (const code of ['ConnectFailed', 'ConnectionClosed', 'Timeout', 'NotLeader', 'Unavailable', 'Busy', 'LeaderChanged']) {
    assert.deepEqual(firstSubscribeStep(err(code)), { kind: 'nextSite' }, code);
  }
  assert.deepEqual(firstSubscribeStep(err('UnknownTable')), { kind: 'askOthers' });
  assert.deepEqual(firstSubscribeStep(err('NotMember')), { kind: 'askOthers' }, 'a node outside the group sends the subscribe on, as a call does');
  for (const code of ['AuthFailed', 'BadRequest', 'Internal']) assert.deepEqual(firstSubscribeStep(err(code)), { kind: 'fail' }, code);
  assert.deepEqual(firstSubscribeStep(new Error('a bug')), { kind: 'fail' });
});

test('waits: back-offs double from FIRST_BACKOFF_MS up to reconnectIntervalMs; a finished round waits the interval', () => {
  const backOff = { kind: 'backOff', rotate: false } as const;
  assert.deepEqual([0, 1, 2, 3, 10].map((n) => retryDelayMs(backOff, n, false, 150)), [FIRST_BACKOFF_MS, 2 * FIRST_BACKOFF_MS, 4 * FIRST_BACKOFF_MS, 150, 150]);
  assert.equal(retryDelayMs({ kind: 'siteDown' }, 0, false, 1000), 0, 'the next site at once');
  assert.equal(retryDelayMs({ kind: 'siteDown' }, 0, true, 1000), 1000);
});

// ---- leader_map ---------------------------------------------------------------------------------

test('a leader learnt through one table routes every table of its group; a down site is forgotten', () => {
  const m = new LeaderMap();
  m.learn({ table: 't1' }, 'h:2:b'); // group not known yet: per table
  assert.equal(m.leaderOf({ table: 't1' }), 'h:2:b');
  m.setGroup('t1', 7);
  m.setGroup('t2', 7);
  assert.equal(m.leaderOf({ table: 't2' }), 'h:2:b', 'moved to the group');
  m.learn({ table: 't2' }, 'h:3:c');
  assert.equal(m.leaderOf({ table: 't1' }), 'h:3:c');
  assert.equal(m.leaderOf({ group: 7 }), 'h:3:c');
  m.forgetSite((s) => s.startsWith('h:3'));
  assert.equal(m.leaderOf({ table: 't1' }), undefined);
  assert.equal(m.leaderOf({}), undefined);
});

// ---- producer_sequence --------------------------------------------------------------------------

const zeros = (n: number) => new Uint8Array(n).fill(0xab);

test('sequences start at 1 and are never reused; the producer id is 16 random bytes in hex', async () => {
  const p = new ProducerSequence(zeros);
  assert.equal(p.producerId, 'ab'.repeat(16));
  const a = await p.acquire();
  const b = await p.acquire();
  p.release(a);
  const c = await p.acquire();
  assert.deepEqual([a, b, c], [1, 2, 3]);
});

test('past maxInFlight an acquire waits, and waiters get slots in arrival order', async () => {
  const p = new ProducerSequence(zeros, { maxInFlight: 2, window: 1024 });
  const got: number[] = [];
  await p.acquire();
  await p.acquire();
  const waiting = [p.acquire(), p.acquire(), p.acquire()].map((w, i) => w.then((seq) => got.push(i * 100 + seq)));
  await Promise.resolve();
  assert.equal(p.appendsWaiting, 3);
  p.release(2);
  await waiting[0];
  assert.deepEqual(got, [3], 'the first waiter, with the next sequence');
  p.release(1);
  p.release(3);
  await Promise.all(waiting);
  assert.deepEqual(got, [3, 104, 205]);
  assert.equal(p.appendsInFlight, 2);
});

test('no sequence is handed out NODE_SEQUENCE_WINDOW or more above the oldest one in flight', async () => {
  const p = new ProducerSequence(zeros, { maxInFlight: 4, window: 8 });
  const first = await p.acquire(); // 1 stays in flight (an append retrying through a failover)
  for (let i = 0; i < 6; i++) p.release(await p.acquire()); // 2..7 done
  assert.equal(await p.acquire(), 8, '8 - 1 < 8: still within the window');
  let ninth = 0;
  const waiting = p.acquire().then((seq) => (ninth = seq));
  await Promise.resolve();
  assert.equal(ninth, 0, '9 would push 1 out of the window');
  p.release(first);
  await waiting;
  assert.equal(ninth, 9);
});

test('close rejects the waiters and later acquires', async () => {
  const p = new ProducerSequence(zeros, { maxInFlight: 1, window: 1024 });
  await p.acquire();
  const waiting = p.acquire();
  p.close(new Error('closed'));
  await assert.rejects(waiting, /closed/);
  await assert.rejects(p.acquire(), /closed/);
});

// ---- keep_alive ---------------------------------------------------------------------------------

test('keepalive pings every quarter of keepAliveTimeMs and declares a silent peer dead after keepAliveTimeMs', () => {
  const clock = new FakeClock();
  let pings = 0;
  const dead: string[] = [];
  const k = new KeepAlive({ ping: () => pings++, dead: (r) => dead.push(r) }, 1000, clock);
  clock.advance(250);
  clock.advance(250);
  assert.equal(pings, 2);
  k.heard(); // a pong at 500
  clock.advance(999);
  assert.deepEqual(dead, [], 'heard at 500: alive until the tick at 1500');
  assert.equal(pings, 5);
  clock.advance(1);
  assert.equal(dead.length, 1);
  assert.match(dead[0]!, /no answer to keepalive pings for 1000 ms/);
  assert.equal(clock.pending, 0, 'no timer left once dead');
  const pingsAtDeath = pings;
  clock.advance(5000);
  assert.equal(pings, pingsAtDeath);
});

test('a peer that keeps answering is never declared dead; stop() leaves no timer', () => {
  const clock = new FakeClock();
  let dead = 0;
  const k = new KeepAlive({ ping: () => k.heard(), dead: () => dead++ }, 400, clock);
  clock.advance(10_000);
  assert.equal(dead, 0);
  k.stop();
  assert.equal(clock.pending, 0);
});

test('keepalive is suspended while the client does not read the socket (pongs wait unread), and resumes with a full period', () => {
  const clock = new FakeClock();
  let pings = 0;
  let dead = 0;
  const k = new KeepAlive({ ping: () => pings++, dead: () => dead++ }, 100, clock);
  k.suspend();
  clock.advance(10_000);
  assert.equal(dead, 0);
  assert.equal(pings, 0, 'no pings while suspended');
  k.resume();
  clock.advance(99);
  assert.equal(dead, 0);
  clock.advance(1);
  assert.equal(dead, 1, 'silent for a full period after resume()');
});
