// `shoal append <table>`: CSV (with a header line, or --no-header in table column order) or JSON lines
// from stdin, converted to the table's column types, appended at the group's leader in batches of
// --batch rows. A batch is converted whole before it is sent, so a bad line sends nothing of its batch;
// the batches before it stay written, and the error says how many rows and which offsets they hold.
// One highAvailability client does the writing: it finds the leader, follows it through a failover and
// resends a batch with the same producer sequence, so a leader change mid-run neither fails the run
// nor writes a batch twice.

import { AppendResult, ShoalClient, ShoalError, connect } from '../../clients/shoal_client.js';
import { messageOf } from '../../storage/state/errors.js';
import { CliError } from './cli_errors.js';
import { CliTarget } from './cli_target.js';
import { CsvReader, CsvRecord } from './csv_rows.js';
import { fetchTable } from './remote_schema.js';
import { RowBatch, RowBatchBuilder } from './row_input.js';

export const DEFAULT_BATCH_ROWS = 10_000;
export const MAX_BATCH_ROWS = 1_000_000;
/** Rounds over the nodes before a batch gives up (each round waits a second): enough for an election. */
const APPEND_RECONNECT_ROUNDS = 10;

export interface AppendOptions {
  table: string;
  format: 'csv' | 'json';
  /** CSV only: the first line names the columns. */
  header: boolean;
  batchRows: number;
}

/** What the appends so far did. Pure. */
export class AppendTally {
  rowsSent = 0;
  rowsWritten = 0;
  rowsDropped = 0;
  batches = 0;
  firstOffset: number | undefined;
  lastOffset: number | undefined;
  /** The group's leader when the run ended ('' when unknown). */
  leader = '';

  add(rows: number, r: AppendResult): void {
    this.batches++;
    this.rowsSent += rows;
    this.rowsWritten += r.rowsWritten;
    this.rowsDropped += r.rowsDropped;
    if (r.rowsWritten > 0) {
      this.firstOffset ??= r.firstOffset;
      this.lastOffset = r.firstOffset + r.rowsWritten - 1;
    }
  }

  offsets(): string {
    return this.firstOffset === undefined ? 'no offsets' : `offsets ${this.firstOffset}..${this.lastOffset}`;
  }

  summary(table: string): string {
    const at = this.leader === '' ? '' : ` (leader ${this.leader})`;
    return `${table}: ${this.rowsSent} rows sent in ${this.batches} batches; ${this.rowsWritten} written, ${this.rowsDropped} dropped as duplicates; ${this.offsets()}${at}`;
  }

  /** What stays written when a later batch fails. */
  earlier(): string {
    return this.rowsSent === 0 ? 'nothing was written' : `the ${this.rowsWritten} rows written by the ${this.batches} batches before it stay written (${this.offsets()})`;
  }
}

/** Progress on stderr: a line rewritten in place on a terminal, one line per batch otherwise. */
export interface ProgressSink {
  update(tally: AppendTally, elapsedMs: number): void;
  finish(): void;
}

export function progressTo(err: NodeJS.WriteStream, enabled: boolean): ProgressSink {
  const tty = err.isTTY === true;
  let shown = false;
  return {
    update(tally, elapsedMs) {
      if (!enabled) return;
      const rate = elapsedMs > 0 ? Math.round((tally.rowsSent * 1000) / elapsedMs) : 0;
      const text = `${tally.rowsSent} rows sent, ${rate} rows/s`;
      err.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
      shown = true;
    },
    finish() {
      if (enabled && tty && shown) err.write('\n');
    },
  };
}

export async function runAppend(target: CliTarget, o: AppendOptions, input: AsyncIterable<string>, progress: ProgressSink): Promise<AppendTally> {
  const tally = new AppendTally();
  let client: ShoalClient | undefined;
  try {
    client = await haClientOf(target);
    const { meta, schema } = await fetchTable(client, o.table);
    const builder = new RowBatchBuilder(schema, o.header ? 'header' : 'noHeader');
    const started = Date.now();
    const writer = client;
    const send = async (batch: RowBatch) => {
      if (batch.rows === 0) return;
      let result: AppendResult;
      try {
        result = await writer.append(o.table, batch.data);
      } catch (err) {
        throw batchFailed(err, batch, tally);
      }
      tally.add(batch.rows, result);
      progress.update(tally, Date.now() - started);
    };
    const add = (f: () => void) => {
      try {
        f();
      } catch (err) {
        if (err instanceof CliError && err.code === 'BAD_INPUT') {
          const from = builder.rows > 0 ? builder.take().lines[0] : undefined;
          throw new CliError('BAD_INPUT', `${err.text}; nothing of its batch${from === undefined ? '' : ` (lines ${from} on)`} was sent, and ${tally.earlier()}`);
        }
        throw err;
      }
    };
    for await (const record of records(o.format, input)) {
      add(() => (record.kind === 'csv' ? builder.addCsvRecord(record.record) : builder.addJsonLine(record.line, record.text)));
      if (builder.rows >= o.batchRows) await send(builder.take());
    }
    await send(builder.take());
    if (meta.raftGroup > 0) tally.leader = await client.getStreamingLeader(meta.raftGroup).catch(() => '');
    return tally;
  } finally {
    progress.finish();
    await client?.close();
  }
}

/** One client over every seed node, failing over between them; a refused login is the user's to fix. */
async function haClientOf(target: CliTarget): Promise<ShoalClient> {
  const [first] = target.seeds;
  if (first === undefined) throw new CliError('USAGE', 'no data node to connect to; give --site host:port');
  try {
    return await connect({
      host: first.host, port: first.port, userId: target.user, password: target.password,
      highAvailability: true, tryReconnectNums: APPEND_RECONNECT_ROUNDS,
      // One --site: let the client learn every member from the cluster; a list would be all it knows.
      ...(target.seeds.length > 1 ? { highAvailabilitySites: target.seeds.map((s) => `${s.host}:${s.port}`) } : {}),
    });
  } catch (err) {
    if (err instanceof ShoalError && err.code === 'AuthFailed') throw new CliError('CLUSTER', `the login was refused: ${err.message}; check --user and --password (or SHOAL_PASSWORD)`);
    if (err instanceof ShoalError && err.code === 'Unreachable') throw new CliError('UNREACHABLE', `no data node answered: ${err.message}`);
    throw err;
  }
}

type InputRecord = { kind: 'csv'; record: CsvRecord } | { kind: 'json'; line: number; text: string };

/** stdin as CSV records or JSON lines, each with the line it starts on; a CSV syntax error names its line. */
async function* records(format: 'csv' | 'json', input: AsyncIterable<string>): AsyncGenerator<InputRecord> {
  if (format === 'csv') {
    const reader = new CsvReader();
    for await (const chunk of input) for (const record of reader.push(chunk)) yield { kind: 'csv', record };
    const last = reader.end();
    if (last !== undefined) yield { kind: 'csv', record: last };
    return;
  }
  let rest = '';
  let line = 0;
  for await (const chunk of input) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const text of parts) yield { kind: 'json', line: ++line, text: text.replace(/\r$/, '') };
  }
  if (rest !== '') yield { kind: 'json', line: ++line, text: rest.replace(/\r$/, '') };
}

function batchFailed(err: unknown, batch: RowBatch, tally: AppendTally): CliError {
  const lines = `lines ${batch.lines[0]}..${batch.lines[batch.lines.length - 1]}`;
  if (err instanceof CliError) return new CliError(err.code, `${err.text}; the batch of ${lines} was not written, and ${tally.earlier()}`);
  const maybe = err instanceof ShoalError && (err.code === 'Timeout' || err.code === 'ConnectionClosed' || err.code === 'OutcomeUnknown' || err.outcome === 'unknown');
  const row = /row (\d+)/.exec(messageOf(err));
  const where = row !== null && batch.lines[Number(row[1])] !== undefined ? ` (row ${row[1]} is line ${batch.lines[Number(row[1])]})` : '';
  const fate = maybe ? 'may or may not have been written (the connection failed before the reply)' : 'was not written';
  const hint = err instanceof ShoalError && err.code === 'BatchTooLarge' ? '; use a smaller --batch' : '';
  return new CliError('CLUSTER', `the batch of ${lines} ${fate}: ${messageOf(err)}${where}${hint}; ${tally.earlier()}`);
}
