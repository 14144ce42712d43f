// examples/failover.ts as README tells a newcomer to run it, against a real 3-node cluster: it must
// kill the leader itself, carry on, and end by reporting that nothing was lost or repeated. A second
// run, with one member down, must refuse to kill another and say why.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, TestCluster } from './cluster_harness.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'failover.js');
let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: 2 }] });
  await cluster.startAll();
});

after(async () => {
  await cluster?.destroy();
});

function runExample(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EXAMPLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('the failover example kills the leader, carries on, and finds nothing lost or repeated', { timeout: 90_000 }, async () => {
  const site = `127.0.0.1:${cluster.nodes[0]!.port}`;
  const first = await runExample(['--site', site, '--password', ADMIN_PASSWORD, '--rows', '4000'], 80_000);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /killed the leader .* \(kill -9 \d+\) after 2000 rows/);
  assert.match(first.output, /no row lost, none duplicated, offsets 0\.\.n-1 once each and in order/);
  const killed = cluster.nodes.filter((n) => !n.child);
  assert.equal(killed.length, 1, 'exactly one node, the leader, was killed');

  // Run it again with that member down: it must not kill a second one (no majority would remain).
  const up = cluster.nodes.find((n) => n.child)!;
  const second = await runExample(['--site', `127.0.0.1:${up.port}`, '--password', ADMIN_PASSWORD, '--rows', '200'], 30_000);
  assert.equal(second.code, 1, second.output);
  assert.match(second.output, /only 2 of 3 members are up/);
  assert.equal(cluster.nodes.filter((n) => !n.child).length, 1, 'no further node was killed');
});
