// The replicated state machine of one streaming Raft group: its stream tables and its persisted
// subscription offsets. apply() is synchronous and deterministic; whatever it changes goes to the
// state store through the group's writer, tagged with the entry's LSN. The store, not a Raft
// snapshot, holds the state: snapshot() is empty and a restart loads the store (loadStreamGroup)
// and skips the entries the store already reflects.

import { GroupStateMachine } from '../host/multi_raft_host.js';
import { RaftInvariantError } from '../raft/errors.js';
import { Entry, Snapshot } from '../raft/types.js';
import { GroupStateWriter } from '../../storage/state/group_state_writer.js';
import { subscriptionOffsetKey } from '../../storage/state/keys.js';
import { StateOp, StateStore } from '../../storage/state/state_store.js';
import { TableRowCache } from '../../storage/state/table_row_cache.js';
import { encodeSubscriptionOffset } from '../../storage/state/values.js';
import { messageOf } from '../../storage/state/errors.js';
import { CommandKind, StreamCommand, decodeCommand } from './commands.js';
import { PRODUCER_WINDOW_SEQUENCES } from './producer_windows.js';
import { AppendOutcome, StreamTable } from './stream_table.js';
import { definitionOf } from './table_definition.js';

/** Why an applied command changed nothing. Every replica reaches the same verdict. */
export type ApplyErrorCode = 'TableExists' | 'UnknownTable' | 'BadColumn' | 'BadCommand' | 'SequenceTooOld';

export type ApplyResult =
  | { ok: true; append?: AppendOutcome }
  | { ok: false; code: ApplyErrorCode; message: string };

export interface StreamGroupEvents {
  /** Every entry applied (not the ones skipped on replay): completes the leader's pending proposal. */
  applied?(group: number, lsn: number, term: number, result: ApplyResult): void;
  /** Rows were written to a table: subscribers of it get them. */
  rowsAppended?(group: number, table: StreamTable, outcome: AppendOutcome): void;
  /** Every applied append, also one that wrote nothing (every key seen, or a producer's repeat): for metrics. */
  appendApplied?(group: number, table: string, outcome: AppendOutcome): void;
  tableDropped?(group: number, table: string): void;
  /** A listener threw; the entry was applied regardless. */
  listenerFailed?(group: number, error: unknown): void;
}

/** A group's state as loadStreamGroup found it in the store. */
export interface LoadedGroup {
  generation: number;
  /** The store reflects every entry up to here. */
  appliedLsn: number;
  tables: StreamTable[];
  offsets: Map<string, number>;
}

/** newGroupStorage() bootstraps a group with a snapshot at this LSN. */
const BOOTSTRAP_LSN = 1;

export class StreamGroup implements GroupStateMachine {
  readonly tables = new Map<string, StreamTable>();
  /** topic -> the last offset its subscriber processed (persistOffset). */
  readonly offsets: Map<string, number>;
  private readonly generation: number;
  /** Entries at or below it are already in the store (replay after a restart skips them). */
  private readonly storeLsn: number;
  private appliedLsnNow: number;

  constructor(
    readonly id: number,
    private readonly store: StateStore,
    readonly writer: GroupStateWriter,
    loaded: LoadedGroup,
    private readonly events: StreamGroupEvents = {},
  ) {
    this.generation = loaded.generation;
    this.storeLsn = this.appliedLsnNow = loaded.appliedLsn;
    for (const t of loaded.tables) this.tables.set(t.name, t);
    this.offsets = loaded.offsets;
  }

  get appliedLsn(): number {
    return this.appliedLsnNow;
  }

  apply(entry: Entry): void {
    if (entry.index <= this.storeLsn) return; // the store already holds its effect
    const ops: StateOp[] = [];
    let result: ApplyResult;
    try {
      result = this.applyCommand(entry.index, decodeCommand(entry.data), ops);
    } catch (err) {
      // Deterministic (same bytes on every replica), and nothing was changed before the throw.
      result = { ok: false, code: 'BadCommand', message: messageOf(err) };
      ops.length = 0;
    }
    this.appliedLsnNow = entry.index;
    this.writer.enqueue(entry.index, ops); // over the limit: the node stops admitting writes (see DataNode)
    this.events.applied?.(this.id, entry.index, entry.term, result);
  }

  /** An entry this state machine never sees (empty, or a membership change) was applied at `lsn`. */
  skipTo(lsn: number): void {
    if (lsn <= this.storeLsn || lsn <= this.writer.enqueuedLsn) return;
    this.appliedLsnNow = lsn;
    this.writer.enqueue(lsn, []);
  }

  snapshot(): Uint8Array {
    return new Uint8Array(); // the state lives in the store; see noteDurableState
  }

  restore(snapshot: Snapshot): void {
    // At startup the host restores the WAL's latest snapshot, which the store already covers.
    if (snapshot.metadata.index <= this.storeLsn) return;
    // A new group's bootstrap snapshot (LSN 1, term 1) holds only the initial membership: empty state.
    if (snapshot.metadata.index === BOOTSTRAP_LSN && snapshot.metadata.term === 1 && snapshot.data.byteLength === 0 && this.tables.size === 0 && this.offsets.size === 0) return;
    // Installing a leader's state needs the store transfer first (not built yet): refuse loudly
    // rather than continue with state that misses the snapshot's rows.
    throw new RaftInvariantError(`group ${this.id}: a snapshot at LSN ${snapshot.metadata.index} arrived but the store holds only LSN ${this.storeLsn}; state transfer between stores is required`);
  }

  /** The writer has stored everything up to `lsn`: cached rows up to there may leave memory. */
  markWritten(lsn: number): void {
    for (const t of this.tables.values()) t.rows.markWritten(lsn);
  }

  private notify(run: () => void): void {
    notifySafely(run, (err) => this.events.listenerFailed?.(this.id, err));
  }

  private applyCommand(lsn: number, c: StreamCommand, ops: StateOp[]): ApplyResult {
    switch (c.kind) {
      case CommandKind.CreateTable: {
        if (this.tables.has(c.table)) return { ok: false, code: 'TableExists', message: `stream table ${c.table} already exists in raft group ${this.id}` };
        const definition = definitionOf(c);
        const rows = new TableRowCache(this.store, { group: this.id, generation: this.generation, table: c.table, cacheLimitRows: c.cacheLimit, retentionMinutes: c.retentionMinutes });
        const table = new StreamTable(definition, rows, new Set(), this.id, this.generation);
        this.tables.set(c.table, table);
        ops.push(table.metaOp(lsn));
        return { ok: true };
      }
      case CommandKind.Append: {
        const table = this.tables.get(c.table);
        if (!table) return unknownTable(c.table, this.id);
        if (c.producer !== undefined) {
          const verdict = table.producers.verdict(c.producer.id, c.producer.sequence);
          if (verdict.kind === 'repeat') {
            const { firstOffset, rowsWritten, rowsDropped } = verdict.outcome;
            const repeat: AppendOutcome = { firstOffset, rowsWritten, rowsDropped, ipc: undefined, repeated: true };
            this.notify(() => this.events.appendApplied?.(this.id, c.table, repeat));
            return { ok: true, append: repeat };
          }
          if (verdict.kind === 'tooOld') return sequenceTooOld(c.table, c.producer.id, c.producer.sequence, verdict.highest);
        }
        const outcome = table.applyAppend(lsn, c, ops);
        if (outcome.rowsWritten > 0) this.notify(() => this.events.rowsAppended?.(this.id, table, outcome));
        this.notify(() => this.events.appendApplied?.(this.id, c.table, outcome));
        return { ok: true, append: outcome };
      }
      case CommandKind.SetFilterColumn: {
        const table = this.tables.get(c.table);
        if (!table) return unknownTable(c.table, this.id);
        if (c.column !== '' && !table.definition.schema.columns.some((col) => col.name === c.column)) {
          return { ok: false, code: 'BadColumn', message: `stream table ${c.table} has no column ${c.column}` };
        }
        table.definition.filterColumn = c.column;
        ops.push(table.metaOp(lsn));
        return { ok: true };
      }
      case CommandKind.PersistOffset:
        this.offsets.set(c.topic, c.offset);
        ops.push({ op: 'put', key: subscriptionOffsetKey(this.id, this.generation, c.topic), value: encodeSubscriptionOffset({ lsn, offset: c.offset }) });
        return { ok: true };
      case CommandKind.RemoveOffset:
        this.offsets.delete(c.topic);
        ops.push({ op: 'del', key: subscriptionOffsetKey(this.id, this.generation, c.topic) });
        return { ok: true };
      case CommandKind.DropTable: {
        const table = this.tables.get(c.table);
        if (!table) return unknownTable(c.table, this.id);
        this.tables.delete(c.table);
        for (const op of table.dropOps()) ops.push(op);
        this.notify(() => this.events.tableDropped?.(this.id, c.table));
        return { ok: true };
      }
    }
  }
}

/**
 * Runs a listener of applied changes. Its failure is its own: the change is applied on every
 * replica whatever a subscriber does, so it must never turn into a failed apply.
 */
function notifySafely(run: () => void, onError: (err: unknown) => void): void {
  try {
    run();
  } catch (err) {
    onError(err);
  }
}

export function sequenceTooOld(table: string, producer: string, sequence: number, highest: number): ApplyResult {
  return {
    ok: false, code: 'SequenceTooOld',
    message: `append to ${table}: producer ${producer} sequence ${sequence} is below its window (highest applied ${highest}, window ${PRODUCER_WINDOW_SEQUENCES}); it was not applied. Keep fewer than ${PRODUCER_WINDOW_SEQUENCES} appends per table in flight`,
  };
}

function unknownTable(table: string, group: number): ApplyResult {
  return { ok: false, code: 'UnknownTable', message: `stream table ${table} does not exist in raft group ${group}` };
}
