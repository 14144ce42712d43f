// The failover walkthrough of README.md: against the local cluster of `npm start`, create an HA
// table with a key, subscribe to it, publish rows, kill -9 the group's leader halfway, and watch
// both carry on. At the end it checks what it claims: every row acknowledged once, the subscriber
// saw offsets 0..n-1 once each in order, and its rows are the ones published.
//
//   npm run example                         (the cluster of `npm start` on 127.0.0.1:8902-8904)
//   npm run example -- --site 127.0.0.1:PORT --password PW [--rows N] [--no-kill]

import { connect, ShoalClient, ShoalError } from '../clients/index.js';

interface Options {
  host: string;
  port: number;
  password: string;
  rows: number;
  kill: boolean;
}

const GROUP = 2;
const TABLE = 'example_trades';
const BATCH_ROWS = 100;

function options(args: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const [host, port] = (value('--site') ?? '127.0.0.1:8902').split(':');
  const rows = Number(value('--rows') ?? 20_000);
  if (!host || !Number.isInteger(Number(port)) || !Number.isInteger(rows) || rows < BATCH_ROWS) {
    throw new Error(`usage: failover [--site host:port] [--password PW] [--rows N >= ${BATCH_ROWS}] [--no-kill]`);
  }
  return { host, port: Number(port), password: value('--password') ?? process.env['SHOAL_PASSWORD'] ?? '123456', rows, kill: !args.includes('--no-kill') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(o: Options): Promise<boolean> {
  const login = { userId: 'admin', password: o.password };
  // highAvailability: the client follows the leader of each table's group by itself, retries what is
  // safe after a failure, and stamps every append so a retry never writes a row twice.
  const client = await connect({ host: o.host, port: o.port, ...login, highAvailability: true, keepAliveTimeMs: 2000 });
  try {
    const sites = (await client.getStreamingRaftGroups()).find((g) => g.id === GROUP)?.sites ?? [];
    const up = await processesOf(sites, login);
    console.log(`raft group ${GROUP}: ${sites.length} members, ${up.size} up`);
    if (o.kill && up.size < sites.length) {
      console.log(`only ${up.size} of ${sites.length} members are up: killing the leader now would leave no majority.`);
      console.log('Restart the cluster (Ctrl-C, then npm start) and run the example again.');
      return false;
    }

    await client.dropStreamTable(TABLE).catch((e: unknown) => {
      if (!(e instanceof ShoalError && e.code === 'UnknownTable')) throw e;
    });
    const schema = [{ name: 'id', type: 'STRING' }, { name: 'sym', type: 'SYMBOL' }, { name: 'price', type: 'DOUBLE' }, { name: 'qty', type: 'INT' }];
    await client.haStreamTable(GROUP, schema, TABLE, 100_000, 'id');
    console.log(`created HA table ${TABLE} (key: id) in raft group ${GROUP}`);

    const received: Array<{ offset: number; id: string }> = [];
    const sub = await client.subscribeTable({
      tableName: TABLE, actionName: 'example', offset: 0, reconnect: true, handlerNeedMsgId: true, resubscribeIntervalMs: 200,
      handler: (row: Record<string, unknown>, offset?: number) => void received.push({ offset: offset!, id: row['id'] as string }),
    });
    console.log(`subscribed at ${sub.site}`);

    const published: string[] = [];
    let acknowledged = 0;
    let killedAt: number | undefined;
    let recoveredMs: number | undefined;
    for (let batch = 0; batch * BATCH_ROWS < o.rows; batch++) {
      const ids = Array.from({ length: BATCH_ROWS }, (_, i) => `t${batch * BATCH_ROWS + i}`);
      const started = Date.now();
      const r = await client.append(TABLE, { id: ids, sym: ids.map((_, i) => ['AAPL', 'MSFT', 'NVDA'][i % 3]!), price: ids.map((_, i) => 100 + i / 100), qty: ids.map((_, i) => i) });
      if (killedAt !== undefined && recoveredMs === undefined) {
        recoveredMs = Date.now() - started;
        console.log(`  the next write went through on the new leader ${await client.getStreamingLeader(GROUP)} after ${recoveredMs} ms`);
      }
      published.push(...ids);
      acknowledged += r.rowsWritten;
      if (batch % 50 === 0) console.log(`published ${published.length} rows; the subscriber has ${received.length}`);
      if (o.kill && killedAt === undefined && published.length >= o.rows / 2) {
        const leader = await client.getStreamingLeader(GROUP);
        const pid = up.get(leader);
        if (pid === undefined) throw new Error(`no PID known for the leader ${leader}`);
        process.kill(pid, 'SIGKILL');
        killedAt = published.length;
        console.log(`killed the leader ${leader} (kill -9 ${pid}) after ${killedAt} rows`);
      }
      await sleep(5);
    }

    const deadline = Date.now() + 30_000;
    while (received.length < published.length && Date.now() < deadline) await sleep(50);
    await sub.unsubscribe();

    const gaps = received.filter((r, i) => r.offset !== i).length;
    const wrong = received.filter((r, i) => r.id !== published[i]).length;
    console.log(`published ${published.length}, acknowledged ${acknowledged} rows written, subscriber received ${received.length} (resubscribed ${sub.stats.resubscriptions} times, now at ${sub.site})`);
    const ok = acknowledged === published.length && received.length === published.length && gaps === 0 && wrong === 0;
    console.log(ok
      ? 'no row lost, none duplicated, offsets 0..n-1 once each and in order'
      : `MISMATCH: ${published.length - acknowledged} unacknowledged, ${gaps} offsets out of place, ${wrong} rows differ`);
    if (killedAt !== undefined) console.log('The killed node stays down. Restart the cluster (Ctrl-C, npm start): it catches up from its own log and the new leader.');
    return ok;
  } finally {
    await client.close();
  }
}

/** PID of each member that answers, by site (getStreamingStat reports it). */
async function processesOf(sites: string[], login: { userId: string; password: string }): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  for (const site of sites) {
    const [host, port] = site.split(':');
    let c: ShoalClient | undefined;
    try {
      c = await connect({ host: host!, port: Number(port), ...login, requestTimeoutMs: 2000 });
      const stat = await c.getStreamingStat();
      const pid = (stat['process'] as { pid?: number } | undefined)?.pid;
      if (typeof pid === 'number') pids.set(site, pid);
    } catch {
      // down: not counted
    } finally {
      await c?.close();
    }
  }
  return pids;
}

main(options(process.argv.slice(2))).then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: unknown) => {
    console.error(`failover example failed: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof ShoalError && err.code === 'ConnectFailed') console.error('Is the local cluster running? Start it with `npm start` in another terminal.');
    process.exit(1);
  },
);
