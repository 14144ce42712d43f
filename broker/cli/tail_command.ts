// `shoal tail <table>`: subscribes (following the leader, reconnecting across failovers) and prints
// each row as a JSON line or CSV until Ctrl-C, or until --count rows have been printed. Output waits
// for stdout to drain, and the subscription stops reading the socket while the handler waits, so a
// slow reader slows the stream instead of filling memory.

import { Subscription } from '../../clients/shoal_client.js';
import { CliError } from './cli_errors.js';
import { CliTarget } from './cli_target.js';
import { callOnLeader } from './leader_calls.js';
import { NodeConnections } from './node_connections.js';
import { fetchTable } from './remote_schema.js';
import { RowFormat, csvHeader, formatRow } from './row_output.js';

type Row = Record<string, unknown>;

export interface TailOptions {
  table: string;
  /** -1 new rows only, -2 after the persisted offset of the action, n >= 0 from row n. */
  offset: number;
  filter: Array<string | number | boolean> | undefined;
  format: RowFormat;
  /** Stop after this many rows; undefined: until Ctrl-C. */
  count: number | undefined;
  actionName: string;
  /** Acknowledge printed rows, so `--from -2` with the same --action resumes after them. */
  persistOffset: boolean;
}

/** Rows per handler call; a partial batch waits at most BATCH_WAIT_S. */
const BATCH_ROWS = 1000;
const BATCH_WAIT_S = 0.05;

export async function runTail(target: CliTarget, o: TailOptions, out: NodeJS.WritableStream, stopSignal: Promise<void>): Promise<void> {
  const conns = new NodeConnections({ user: target.user, password: target.password });
  let sub: Subscription | undefined;
  let release = () => {};
  try {
    const first = await conns.firstReachable(target.seeds);
    if ('failures' in first) throw new CliError('UNREACHABLE', `no data node answered: ${first.failures.join('; ')}`);
    const { schema } = await fetchTable(first.client, o.table);
    const write = writerTo(out);
    if (o.format === 'csv') await write(csvHeader(schema) + '\n');
    let printed = 0;
    let reachedCount!: () => void;
    const done = new Promise<void>((resolve) => (reachedCount = resolve));
    if (o.count === 0) reachedCount();
    // Rows past --count are never returned from: with --persist an acknowledgement follows each return,
    // and it must not cover rows that were not printed. unsubscribe() frees the parked call.
    const parked = new Promise<void>((resolve) => (release = resolve));
    const handler = async (msg: Row | Row[]) => {
      const all = Array.isArray(msg) ? msg : [msg];
      if (o.count !== undefined && printed >= o.count) return parked;
      const rows = o.count === undefined ? all : all.slice(0, o.count - printed);
      printed += rows.length;
      await write(rows.map((r) => formatRow(o.format, schema, r) + '\n').join(''));
      if (o.count !== undefined && printed >= o.count) reachedCount();
    };
    // Acknowledged offsets are per handler call, so with --persist and --count rows go one per call:
    // a batch could end past the last row printed.
    const batching = o.persistOffset && o.count !== undefined ? {} : { batchSize: Math.min(BATCH_ROWS, o.count ?? BATCH_ROWS), throttle: BATCH_WAIT_S };
    sub = (await callOnLeader(conns.open, first.at, (c) => c.subscribeTable({
      tableName: o.table, actionName: o.actionName, offset: o.offset, reconnect: true, handler,
      persistOffset: o.persistOffset, ...batching,
      ...(o.filter === undefined ? {} : { filter: o.filter }),
    }))).value;
    await Promise.race([done, stopSignal, write.failed]);
  } finally {
    await sub?.unsubscribe();
    release();
    await conns.closeAll();
  }
}

/** Writes text and resolves when the stream takes more; `failed` resolves when the reader is gone (EPIPE). */
function writerTo(out: NodeJS.WritableStream): ((text: string) => Promise<void>) & { failed: Promise<void> } {
  let broken = false;
  const failed = new Promise<void>((resolve) => out.once('error', () => {
    broken = true;
    resolve();
  }));
  const write = (text: string): Promise<void> => {
    if (broken || out.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => {
        out.off('drain', go);
        out.off('error', go);
        resolve();
      };
      out.on('drain', go);
      out.on('error', go);
    });
  };
  return Object.assign(write, { failed });
}
