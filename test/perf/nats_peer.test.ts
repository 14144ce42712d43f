// The benchmark's NATS peer end to end on real processes: three local nats-server processes with
// JetStream, tiny write cases through both publishers, the stored rows read back, and the servers gone
// after stop(). Skips where nats-server is not installed (CI): apt-get install nats-server to run it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { benchColumns, benchSchema } from '../../perf/bench/rows.js';
import { AsyncJetStreamPublisher } from '../../perf/peers/async_publisher.js';
import { natsServerPath, serverConfig, startNatsCluster } from '../../perf/peers/nats_cluster.js';
import { runNatsWriteCase } from '../../perf/peers/nats_writer.js';
import { PeerError } from '../../perf/peers/peer_errors.js';
import { decodeRowMessage, rowAt } from '../../perf/peers/row_message.js';

test('a server config listens on 127.0.0.1 only, keeps its own store and leaves sync_interval at its default', () => {
  const text = serverConfig({ name: 'n2', clientPort: 4222, routePort: 6222, routes: [6221, 6223], storeDir: '/tmp/x y/n2' });
  assert.match(text, /^server_name: n2$/m);
  assert.match(text, /^listen: "127\.0\.0\.1:4222"$/m);
  assert.match(text, /store_dir: "\/tmp\/x y\/n2"/);
  assert.match(text, /listen: "127\.0\.0\.1:6222"/);
  assert.deepEqual(text.match(/nats-route:\/\/[^"]+/g), ['nats-route://127.0.0.1:6221', 'nats-route://127.0.0.1:6223']);
  assert.doesNotMatch(text.replace(/^\s*\/\/.*$/gm, '').replace(/#.*$/gm, ''), /sync_interval|sync_always|0\.0\.0\.0/);
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('three nats-server processes take tiny write cases into an R3 stream, and stop() ends them', { timeout: 30_000 }, async (t) => {
  if (natsServerPath() === undefined) {
    t.skip('nats-server not installed (apt-get install nats-server)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shoal-nats-peer-'));
  const cluster = await startNatsCluster({ dir, startTimeoutMs: 15_000 });
  try {
    assert.equal(cluster.urls.length, 3);
    assert.equal(new Set(cluster.pids).size, 3);
    for (const url of cluster.urls) assert.match(url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    for (const name of ['n1', 'n2', 'n3']) assert.match(readFileSync(join(dir, `${name}.conf`), 'utf8'), new RegExp(`server_name: ${name}`));

    // 1 writer, batches of 10, 5 writes; the stream is kept so the test can read what NATS stored.
    const single = { columns: 11, writers: 1, batchRows: 10, writesPerWriter: 5, seed: 9 };
    const outcome = await runNatsWriteCase(cluster, single, { streamName: 'PEER_TEST_1', keepStream: true });
    assert.equal(outcome.rows, 50);
    assert.ok(outcome.rowsPerSec > 0 && outcome.latencyMsP50 > 0 && outcome.latencyMsP99 >= outcome.latencyMsP50);
    const admin = await connect({ servers: cluster.urls[0]! });
    try {
      const jsm = await admin.jetstreamManager();
      const info = await jsm.streams.info('PEER_TEST_1');
      assert.equal(info.state.messages, 50);
      assert.equal(info.config.num_replicas, 3);
      assert.equal(info.cluster?.replicas?.length, 2, 'a leader and two followers');
      // Sequence 1 is writer 0's row 0; sequence 50 is its 5th batch's last row (row 49).
      const schema = benchSchema(11);
      const first = await jsm.streams.getMessage('PEER_TEST_1', { seq: 1 });
      assert.deepEqual(decodeRowMessage(schema, first.data), rowAt(schema, benchColumns(schema, 10, 0, 9), 0));
      const last = await jsm.streams.getMessage('PEER_TEST_1', { seq: 50 });
      assert.deepEqual(decodeRowMessage(schema, last.data), rowAt(schema, benchColumns(schema, 10, 40, 9), 9));
      await jsm.streams.delete('PEER_TEST_1');

      // 2 writers (on n1 and n2), batches of 1, 3 writes, through nats.js's own js.publish.
      const two = await runNatsWriteCase(cluster, { columns: 211, writers: 2, batchRows: 1, writesPerWriter: 3, seed: 9 }, { publisher: 'js.publish' });
      assert.equal(two.rows, 6);
      // A window of 3 in-flight publishes under batches of 10: the sender waits for acks mid-batch.
      const windowed = await runNatsWriteCase(cluster, { columns: 11, writers: 2, batchRows: 10, writesPerWriter: 4, seed: 9 }, { maxInflightPublishes: 3 });
      assert.equal(windowed.rows, 80);
      // One message per write (rows packed back to back): the stream holds a message per batch.
      const packed = await runNatsWriteCase(cluster, { columns: 11, writers: 2, batchRows: 50, writesPerWriter: 3, seed: 9 }, { messagePer: 'batch', streamName: 'PEER_TEST_2', keepStream: true });
      assert.equal(packed.rows, 300);
      const packedInfo = await jsm.streams.info('PEER_TEST_2');
      assert.equal(packedInfo.state.messages, 6, 'a message per write');
      assert.equal(packedInfo.state.bytes > 300 * 72, true);
      await jsm.streams.delete('PEER_TEST_2');
      assert.deepEqual((await jsm.streams.names().next()).filter((n) => n.startsWith('BENCH_')), [], 'runs without keepStream delete their stream');

      // No stream listens on the subject: the publish is refused (503 no responders), not left waiting.
      const publisher = new AsyncJetStreamPublisher(admin, 'nobody.listens', { maxInflightPublishes: 10, ackTimeoutMs: 10_000 });
      await assert.rejects(publisher.publishAll([new Uint8Array(4)]), (e: unknown) => e instanceof PeerError && e.code === 'PUBLISH_FAILED' && /status 503/.test(e.message));
      publisher.close();
    } finally {
      await admin.close();
    }
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const pid of cluster.pids) assert.equal(alive(pid), false, `nats-server ${pid} still runs after stop()`);
});
