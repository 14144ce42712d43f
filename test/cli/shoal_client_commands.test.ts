// The client commands as a person runs them: the built `shoal` executable as a child process against a
// real 3-node cluster (one raft group), through a follower, so every write has to follow NotLeader.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShoalClient, connect } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, TestCluster, waitFor } from '../node/cluster_harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shoal = join(root, 'dist', 'broker', 'cli', 'shoal.js');
const ROWS = 25_000;

interface Run { status: number | null; stdout: string; stderr: string }

/** Runs `shoal args...` with `input` on stdin; bounded by timeoutMs. */
function run(args: string[], input = '', timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [shoal, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHOAL_PASSWORD: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shoal ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

let cluster: TestCluster;
let leaderSite = '';
let followerPort = 0;

const site = (port: number) => ['--site', `127.0.0.1:${port}`, '--password', ADMIN_PASSWORD];

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: 2 }] });
  await cluster.startAll();
  const c = await connect({ host: '127.0.0.1', port: cluster.nodes[0]!.port, userId: 'admin', password: ADMIN_PASSWORD });
  try {
    leaderSite = await waitFor('a leader of group 2', async () => (await c.getStreamingLeader(2)) || undefined);
  } finally {
    await c.close();
  }
  const leaderPort = Number(leaderSite.split(':')[1]);
  followerPort = cluster.nodes.find((n) => n.port !== leaderPort)!.port;
  let leader: ShoalClient | undefined;
  try {
    leader = await connect({ host: '127.0.0.1', port: leaderPort, userId: 'admin', password: ADMIN_PASSWORD });
    await leader.haStreamTable(2, [
      { name: 'id', type: 'LONG' }, { name: 'sym', type: 'SYMBOL' }, { name: 'px', type: 'DOUBLE' },
      { name: 'ts', type: 'TIMESTAMP' }, { name: 'note', type: 'STRING' },
    ], 'trades', 100_000, 'id');
  } finally {
    await leader?.close();
  }
});

after(async () => {
  await cluster?.destroy();
});

function csvRows(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`${i},S${i % 7},${(i * 0.25).toFixed(2)},2024-05-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')},"n ${i}, quoted"`);
  return lines.join('\n') + '\n';
}

test('append 25,000 CSV rows through a follower: it follows NotLeader and reports what it wrote', async () => {
  const r = await run(['append', 'trades', ...site(followerPort), '--progress'], 'id,sym,px,ts,note\n' + csvRows(0, ROWS));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `trades: 25000 rows sent in 3 batches; 25000 written, 0 dropped as duplicates; offsets 0..24999 (leader ${leaderSite})\n`);
  assert.match(r.stderr, /25000 rows sent, \d+ rows\/s/, 'progress with --progress on a non-terminal stderr');
});

test('append: a bad line sends nothing of its batch, names line and column, and says what stays written (exit 2)', async () => {
  const good = csvRows(ROWS, ROWS + 5);
  const r = await run(['append', 'trades', ...site(followerPort), '--batch', '3', '--no-header'], good + `${ROWS + 5},S,oops,,x\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /line 6: column px: "oops" is not a number \(column type DOUBLE\); nothing of its batch \(lines 4 on\) was sent, and the 3 rows written by the 1 batches before it stay written \(offsets 25000\.\.25002\)/);
  const tables = await run(['tables', ...site(followerPort)]);
  assert.match(tables.stdout, /trades +2 +25003 +yes +id/, 'the first batch of 3 is written, the second (2 good rows and the bad one) is not');
  const dup = await run(['append', 'trades', ...site(leaderPortOf()), '--format', 'json'], '{"id": 1, "sym": "again"}\n[25003, "S", 1.5, "2024-05-01T00:00:00.000", null]\n');
  assert.equal(dup.status, 0, dup.stderr);
  assert.match(dup.stdout, /2 rows sent in 1 batches; 1 written, 1 dropped as duplicates; offsets 25003\.\.25003/, 'id 1 is a repeated key');
});

function leaderPortOf(): number {
  return Number(leaderSite.split(':')[1]);
}

test('tables lists the table with its rows, group, HA and key column', async () => {
  const r = await run(['tables', ...site(followerPort)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^NAME +GROUP +ROWS +HA +KEYS\ntrades +2 +25004 +yes +id\n$/);
});

test('tail --from 0 --count N prints the rows in offset order, then exits 0', async () => {
  const r = await run(['tail', 'trades', '--from', '0', '--count', String(ROWS), ...site(followerPort)]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, ROWS);
  lines.forEach((l, i) => {
    const row = JSON.parse(l);
    if (row.id !== i) assert.fail(`line ${i + 1} is id ${row.id}: ${l}`);
  });
  assert.deepEqual(JSON.parse(lines[61]!), { id: 61, sym: 'S5', px: 15.25, ts: '2024-05-01T00:00:01.061', note: 'n 61, quoted' });
  const csv = await run(['tail', 'trades', '--from', '25003', '--count', '1', '--format', 'csv', ...site(followerPort)]);
  assert.equal(csv.stdout, 'id,sym,px,ts,note\n25003,S,1.5,2024-05-01T00:00:00.000,\n');
});

test('tail --persist under --action, then --from -2 resumes after the last printed row', async () => {
  const first = await run(['tail', 'trades', '--from', '0', '--count', '10', '--action', 'cli_resume', '--persist', ...site(followerPort)]);
  assert.equal(first.status, 0, first.stderr);
  const again = await run(['tail', 'trades', '--from', '-2', '--count', '1', '--action', 'cli_resume', ...site(followerPort)]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).id, 10);
  const noAction = await run(['tail', 'trades', '--from', '-2', ...site(followerPort)]);
  assert.equal(noAction.status, 2);
  assert.match(noAction.stderr, /--from -2 resumes the offset persisted under an action name; give --action NAME/);
});

test('tail without --count runs until Ctrl-C, then unsubscribes and exits 0', async () => {
  const child = spawn(process.execPath, [shoal, 'tail', 'trades', '--from', '25000', ...site(followerPort)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the rows from offset 25000', () => ((out.match(/\n/g) ?? []).length >= 4 ? true : undefined), 10_000);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, out);
  assert.deepEqual(out.trimEnd().split('\n').map((l) => JSON.parse(l).id), [25000, 25001, 25002, 25003]);
});

test('status shows 3 nodes up and the leader; leader 2 prints the same leader', async () => {
  const r = await run(['status', ...site(followerPort)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /data nodes: 3 of 3 up/);
  for (const n of cluster.nodes) assert.match(r.stdout, new RegExp(`127\\.0\\.0\\.1:${n.port}:${n.alias} +up`));
  assert.match(r.stdout, new RegExp(`\\n  2 +dn1,dn2,dn3 +${leaderSite.replace(/\./g, '\\.')} +\\d+\\n`));
  assert.match(r.stdout, /stream tables: 1/);
  const l = await run(['leader', '2', ...site(followerPort)]);
  assert.equal(l.status, 0, l.stderr);
  assert.equal(l.stdout, `${leaderSite}\n`);
  const unknown = await run(['leader', '9', ...site(followerPort)]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /the cluster has no raft group 9; its groups are 2/);
});

test('a killed node is shown down, and status still exits 0', async () => {
  const victim = cluster.nodes.findIndex((n) => n.port === followerPort);
  const other = cluster.nodes.find((_, i) => i !== victim)!;
  await cluster.kill(victim);
  const r = await run(['status', ...site(other.port)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /data nodes: 2 of 3 up/);
  assert.match(r.stdout, new RegExp(`127\\.0\\.0\\.1:${followerPort}:${cluster.nodes[victim]!.alias} +down +.*ConnectFailed`));
});

test('usage errors exit 2 and name the problem; a wrong password says what to check', async () => {
  const r = await run(['tail']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /shoal tail: missing <table>/);
  const bad = await run(['tables', '--site', `127.0.0.1:${leaderPortOf()}`, '--password', 'wrong']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /refused the login: .*check --user and --password/);
});

test('append through a kill -9 of the leader: the run carries on and no batch is written twice (unkeyed table)', { timeout: 90_000 }, async () => {
  for (let i = 0; i < cluster.nodes.length; i++) if (!cluster.nodes[i]!.child) await cluster.start(i);
  const c = await connect({ host: '127.0.0.1', port: cluster.nodes[0]!.port, userId: 'admin', password: ADMIN_PASSWORD, highAvailability: true });
  let leaderPort: number;
  try {
    await c.haStreamTable(2, [{ name: 'id', type: 'LONG' }, { name: 'sym', type: 'SYMBOL' }], 'ticks_nokey', 100_000);
    leaderPort = Number((await waitFor('a leader of group 2', async () => (await c.getStreamingLeader(2)) || undefined)).split(':')[1]);
  } finally {
    await c.close();
  }
  const victim = cluster.nodes.findIndex((n) => n.port === leaderPort);
  const entry = cluster.nodes.find((_, i) => i !== victim)!;
  // The entry node is a follower: let it apply the new table before the CLI asks it for the schema.
  const probe = await connect({ host: '127.0.0.1', port: entry.port, userId: 'admin', password: ADMIN_PASSWORD });
  try {
    await waitFor('the follower to know the new table', () => probe.getPersistenceMeta('ticks_nokey').then(() => true, () => undefined));
  } finally {
    await probe.close();
  }
  const child = spawn(process.execPath, [shoal, 'append', 'ticks_nokey', ...site(entry.port), '--batch', '100'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.stdin.on('error', () => undefined); // a child that exits early is reported below, with its output
  child.stdin.write('id,sym\n');
  const CHUNKS = 30;
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    child.stdin.write(Array.from({ length: 100 }, (_, i) => `${chunk * 100 + i},S${i % 3}\n`).join(''));
    if (chunk === 10) await cluster.kill(victim);
    await new Promise((r) => setTimeout(r, 30));
  }
  child.stdin.end();
  const status = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 60_000))]);
  if (status === 'late') child.kill('SIGKILL');
  assert.equal(status, 0, `stdout: ${stdout}\nstderr: ${stderr}`);
  assert.match(stdout, /3000 rows sent in 30 batches; 3000 written/);
  const check = await connect({ host: '127.0.0.1', port: entry.port, userId: 'admin', password: ADMIN_PASSWORD, highAvailability: true });
  try {
    const rows = (await check.readTable('ticks_nokey', 0, 10_000)).rows.map((r) => Number(r['id']));
    assert.equal(rows.length, CHUNKS * 100, 'every row once: a batch resent after the failover was not written again');
    assert.deepEqual([...rows].sort((a, b) => a - b), Array.from({ length: CHUNKS * 100 }, (_, i) => i));
  } finally {
    await check.close();
  }
  await cluster.start(victim);
});
