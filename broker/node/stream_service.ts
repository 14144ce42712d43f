// The stream table functions a data node offers its clients (haStreamTable, append, subscribeTable,
// ...), named and behaving as in seed 003. Transport-free: the client session decodes a frame and
// calls one of these; every failure a client can cause is a ServiceError with a protocol code.
// Writes go only through a group's leader; reads of replicated state work on any member.

import { ColumnSpec, TableSchema, checkKeyColumns, checkSchema, encodeSchema, typeLabel } from '../table/schema.js';
import { BatchLimits, decodeAppendBatch, filterKeys } from '../table/batch.js';
import { TableError } from '../table/errors.js';
import { Column, FilterValue, Replies, Requests } from '../protocol/methods.js';
import { AppendCommand, CommandKind, MAX_PRODUCER_ID_BYTES, ProducerStamp, StreamCommand } from '../stream/commands.js';
import { ApplyResult, sequenceTooOld } from '../stream/stream_group.js';
import { StreamTable } from '../stream/stream_table.js';
import { LOCAL_GROUP, NodeDirectory } from './node_directory.js';
import { ServiceError, notLeader } from './service_error.js';
import { StreamNode } from './stream_node.js';
import { SubscriberSink, SubscriptionHub } from './subscription_hub.js';

export interface StreamServiceOptions {
  nodeId: number;
  clusterName: string;
  directory: NodeDirectory;
  node: StreamNode;
  hub: SubscriptionHub;
  appendLimits: BatchLimits;
  defaultRetentionMinutes: number;
  /** Rows a readTable call returns at most. */
  maxReadRows: number;
  nowMs(): number;
}

type Reply<M extends keyof Replies> = Promise<{ body: Replies[M]; arrow?: Uint8Array; dataVersion?: number }>;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export class StreamService {
  constructor(private readonly o: StreamServiceOptions) {}

  // ---- tables ---------------------------------------------------------------------------------

  async haStreamTable(r: Requests['haStreamTable']): Reply<'haStreamTable'> {
    if (r.raftGroup === LOCAL_GROUP || !this.o.directory.streamingGroups.some((g) => g.id === r.raftGroup)) {
      throw new ServiceError('UnknownGroup', `raft group ${r.raftGroup} is not in streamingRaftGroups (${this.o.directory.streamingGroups.map((g) => g.id).join(', ') || 'none configured'})`);
    }
    if (!this.o.node.hasGroup(r.raftGroup)) {
      throw new ServiceError('NotMember', `this node is not a member of raft group ${r.raftGroup}; create the table on one of ${this.sitesOf(r.raftGroup).join(', ')}`);
    }
    await this.createTable(r.raftGroup, r);
    return { body: { tableName: r.tableName, raftGroup: r.raftGroup } };
  }

  async streamTable(r: Requests['streamTable']): Reply<'streamTable'> {
    await this.createTable(LOCAL_GROUP, r);
    return { body: { tableName: r.tableName } };
  }

  private async createTable(group: number, r: Requests['streamTable']): Promise<void> {
    if (!NAME_PATTERN.test(r.tableName)) throw new ServiceError('BadRequest', `table name "${r.tableName}" must start with a letter or _ and hold only letters, digits and _ (at most 128)`);
    if (this.findTable(r.tableName)) throw new ServiceError('TableExists', `stream table ${r.tableName} already exists`);
    const schema = this.checkedSchema(r.schema);
    const keyColumns = r.keyColumns.filter((k) => k !== '');
    if (keyColumns.length > 0) guard(() => checkKeyColumns(schema, keyColumns));
    if (r.filterColumn !== '' && !schema.columns.some((c) => c.name === r.filterColumn)) {
      throw new ServiceError('BadRequest', `filter column ${r.filterColumn} is not a column of ${r.tableName}`);
    }
    if (!Number.isSafeInteger(r.cacheLimit) || r.cacheLimit < 0) throw new ServiceError('BadRequest', `cacheLimit must be a row count >= 0, got ${r.cacheLimit}`);
    const command: StreamCommand = {
      kind: CommandKind.CreateTable, table: r.tableName, schema: encodeSchema(schema), cacheLimit: r.cacheLimit,
      keyColumns, retentionMinutes: r.retentionMinutes > 0 ? r.retentionMinutes : this.o.defaultRetentionMinutes, filterColumn: r.filterColumn,
    };
    check(await this.proposeAsLeader(group, command));
  }

  async setStreamTableFilterColumn(r: Requests['setStreamTableFilterColumn']): Reply<'setStreamTableFilterColumn'> {
    const { group } = this.table(r.tableName);
    check(await this.proposeAsLeader(group, { kind: CommandKind.SetFilterColumn, table: r.tableName, column: r.column }));
    return { body: {} };
  }

  async dropStreamTable(r: Requests['dropStreamTable']): Reply<'dropStreamTable'> {
    const { group } = this.table(r.tableName);
    const subscribers = this.o.hub.countFor(group, r.tableName);
    if (subscribers > 0) throw new ServiceError('SubscriptionsExist', `stream table ${r.tableName} has ${subscribers} subscription(s); unsubscribe them first`);
    check(await this.proposeAsLeader(group, { kind: CommandKind.DropTable, table: r.tableName }));
    return { body: {} };
  }

  // ---- append ---------------------------------------------------------------------------------

  async append(r: Requests['append'], arrow: Uint8Array | undefined): Reply<'append'> {
    const { group, table } = this.table(r.tableName);
    this.requireLeader(group);
    if (!arrow || arrow.byteLength === 0) throw new ServiceError('BadRequest', 'append carries no rows: put an Arrow IPC record batch in the frame');
    const producer = producerStampOf(r);
    if (producer !== undefined) {
      // Already applied here: answer from the committed state without growing the log. A repeat
      // that is committed but not yet applied is proposed again; apply then answers it the same way.
      const verdict = table.producers.verdict(producer.id, producer.sequence);
      if (verdict.kind === 'repeat') return { body: { ...outcomeBody(verdict.outcome), repeated: true } };
      if (verdict.kind === 'tooOld') check(sequenceTooOld(r.tableName, producer.id, producer.sequence, verdict.highest));
    }
    const batch = guard(() => decodeAppendBatch(table.definition.schema, arrow, this.o.appendLimits));
    const command: AppendCommand = { kind: CommandKind.Append, table: r.tableName, rowCount: batch.numRows, appendedAtMs: this.o.nowMs(), ipc: arrow };
    if (producer !== undefined) command.producer = producer;
    const a = check(await this.proposeAsLeader(group, command)).append!;
    return { body: { ...outcomeBody(a), repeated: a.repeated } };
  }

  // ---- subscriptions --------------------------------------------------------------------------

  topicOf(group: number, table: string, action: string): string {
    return `${this.o.clusterName}_${group}/${table}/${action}`;
  }

  subscribeTable(r: Requests['subscribeTable'], sink: SubscriberSink): Awaited<Reply<'subscribeTable'>> {
    const { group, table } = this.table(r.tableName);
    this.requireLeader(group);
    if (!NAME_PATTERN.test(r.actionName)) throw new ServiceError('BadRequest', `actionName "${r.actionName}" must start with a letter or _ and hold only letters, digits and _`);
    let filter: Set<string | number | bigint | boolean> | undefined;
    if (r.filter.length > 0) {
      const column = table.definition.filterColumn;
      if (column === '') throw new ServiceError('BadRequest', `stream table ${r.tableName} has no filter column: call setStreamTableFilterColumn first`);
      filter = new Set(r.filter.map(filterValue));
      // Refused now, not at the first push (which would close the subscription with BAD_FILTER).
      const spec = table.definition.schema.columns.find((c) => c.name === column)!;
      const values = filter;
      try {
        filterKeys(spec, values);
      } catch (err) {
        if (err instanceof TableError) throw new ServiceError('BadRequest', `subscribeTable ${r.tableName}: ${err.message}`);
        throw err;
      }
    }
    const topic = this.topicOf(group, r.tableName, r.actionName);
    const { startOffset } = this.o.hub.subscribe({ group, table, topic, offset: r.offset ?? -1, filter, sink });
    return { body: { topic, startOffset, sites: this.sitesOf(group), leader: this.o.directory.siteText(this.o.nodeId) ?? '' } };
  }

  async unsubscribeTable(r: Requests['unsubscribeTable']): Reply<'unsubscribeTable'> {
    const { group } = this.table(r.tableName);
    const topic = this.topicOf(group, r.tableName, r.actionName);
    if (!this.o.hub.unsubscribe(topic)) throw new ServiceError('UnknownTopic', `no subscription ${topic} on this node`);
    return { body: {} };
  }

  async ackOffset(r: Requests['ackOffset']): Reply<'ackOffset'> {
    const group = this.groupOfTopic(r.topic);
    if (!Number.isSafeInteger(r.offset) || r.offset < 0) throw new ServiceError('BadRequest', `offset ${r.offset} must be a row offset >= 0`);
    check(await this.proposeAsLeader(group, { kind: CommandKind.PersistOffset, topic: r.topic, offset: r.offset }));
    return { body: {} };
  }

  async getTopicProcessedOffset(r: Requests['getTopicProcessedOffset']): Reply<'getTopicProcessedOffset'> {
    const group = this.groupOfTopic(r.topic);
    const g = this.o.node.group(group);
    return { body: { offset: g.offsets.get(r.topic) ?? -1 }, dataVersion: g.appliedLsn };
  }

  async removeTopicOffset(r: Requests['removeTopicOffset']): Reply<'removeTopicOffset'> {
    const group = this.groupOfTopic(r.topic);
    check(await this.proposeAsLeader(group, { kind: CommandKind.RemoveOffset, topic: r.topic }));
    return { body: {} };
  }

  // ---- reads and metadata ---------------------------------------------------------------------

  async readTable(r: Requests['readTable']): Reply<'readTable'> {
    const { group, table } = this.table(r.tableName);
    const maxRows = Math.min(Math.max(1, r.maxRows || this.o.maxReadRows), this.o.maxReadRows);
    if (!Number.isSafeInteger(r.offset) || r.offset < 0) throw new ServiceError('BadRequest', `offset ${r.offset} must be a row offset >= 0`);
    const range = await table.readRows(r.offset, maxRows);
    return {
      body: { firstOffset: range.firstOffset, rowCount: range.rowCount, nextOffset: range.nextOffset },
      ...(range.ipc ? { arrow: range.ipc } : {}), dataVersion: this.o.node.group(group).appliedLsn,
    };
  }

  async getStreamingRaftGroups(): Reply<'getStreamingRaftGroups'> {
    return { body: { groups: this.o.directory.streamingGroups.map((g) => ({ id: g.id, sites: this.sitesOf(g.id) })) } };
  }

  async getStreamingLeader(r: Requests['getStreamingLeader']): Reply<'getStreamingLeader'> {
    if (!this.o.directory.streamingGroups.some((g) => g.id === r.groupId) && r.groupId !== LOCAL_GROUP) {
      throw new ServiceError('UnknownGroup', `raft group ${r.groupId} is not in streamingRaftGroups`);
    }
    if (!this.o.node.hasGroup(r.groupId)) {
      throw new ServiceError('NotMember', `this node is not a member of raft group ${r.groupId}; ask one of ${this.sitesOf(r.groupId).join(', ')}`);
    }
    const status = this.o.node.status(r.groupId);
    return { body: { leader: this.o.directory.siteText(status.lead) ?? '', term: status.term } };
  }

  async getPersistenceMeta(r: Requests['getPersistenceMeta']): Reply<'getPersistenceMeta'> {
    const { group, table } = this.table(r.tableName);
    const d = table.definition;
    const g = this.o.node.group(group);
    return {
      body: {
        raftGroup: group === LOCAL_GROUP ? 0 : group, firstOffset: table.rows.firstRetainedOffset, nextOffset: table.nextOffset,
        cacheLimit: d.cacheLimit, cachedRows: table.rows.cachedRows, retentionMinutes: d.retentionMinutes,
        keyColumns: [...d.keyColumns], schema: d.schema.columns.map(toWireColumn), lsn: g.appliedLsn,
      },
      dataVersion: g.appliedLsn,
    };
  }

  async listTables(): Reply<'listTables'> {
    const tables = [];
    for (const group of this.o.node.groupIds()) {
      for (const t of this.o.node.group(group).tables.values()) {
        tables.push({ name: t.name, raftGroup: group === LOCAL_GROUP ? 0 : group, rows: t.nextOffset, ha: group !== LOCAL_GROUP });
      }
    }
    return { body: { tables: tables.sort((a, b) => a.name.localeCompare(b.name)) } };
  }

  /** Pub and sub state of this node (free-form JSON, not a stable shape). */
  streamingStat(extra: Record<string, unknown>): Record<string, unknown> {
    const groups = this.o.node.groupIds().map((id) => {
      const s = this.o.node.status(id);
      const g = this.o.node.group(id);
      return {
        id, role: s.role, term: s.term, leader: this.o.directory.siteText(s.lead) ?? '', commitLsn: s.commit, appliedLsn: s.applied,
        writerQueuedBytes: g.writer.queuedBytes, writtenLsn: g.writer.writtenLsn,
        tables: [...g.tables.values()].map((t) => ({ name: t.name, rows: t.nextOffset, cachedRows: t.rows.cachedRows, keys: t.keyCount })),
      };
    });
    return { node: this.o.directory.siteText(this.o.nodeId), groups, subscriptions: this.o.hub.list(), raft: this.o.node.stats(), ...extra };
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** The table and its group, among the groups this node hosts. */
  private table(name: string): { group: number; table: StreamTable } {
    const found = this.findTable(name);
    if (!found) throw new ServiceError('UnknownTable', `no stream table ${name} on this node (tables live on the members of their raft group)`);
    return found;
  }

  private findTable(name: string): { group: number; table: StreamTable } | undefined {
    for (const group of this.o.node.groupIds()) {
      const table = this.o.node.group(group).tables.get(name);
      if (table) return { group, table };
    }
    return undefined;
  }

  private groupOfTopic(topic: string): number {
    const m = /^(.*)_(\d+)\/[^/]+\/[^/]+$/.exec(topic);
    if (!m || m[1] !== this.o.clusterName) throw new ServiceError('BadRequest', `topic "${topic}" is not of the form ${this.o.clusterName}_<group>/<table>/<action>`);
    const group = Number(m[2]);
    if (!this.o.node.hasGroup(group)) throw new ServiceError('UnknownGroup', `raft group ${group} of topic ${topic} is not hosted on this node`);
    return group;
  }

  private requireLeader(group: number): void {
    if (!this.o.node.isLeader(group)) throw notLeader(this.o.directory.siteText(this.o.node.leaderId(group)));
  }

  private async proposeAsLeader(group: number, command: StreamCommand): Promise<ApplyResult> {
    this.requireLeader(group);
    return this.o.node.propose(group, command);
  }

  private sitesOf(group: number): string[] {
    const members = this.o.node.hasGroup(group) ? this.o.node.membersOf(group) : this.o.directory.streamingGroups.find((g) => g.id === group)?.members ?? [];
    return members.map((id) => this.o.directory.siteText(id)).filter((s): s is string => s !== undefined);
  }

  private checkedSchema(columns: Column[]): TableSchema {
    return guard(() => checkSchema({ columns: columns.map((c) => ({ name: c.name, type: c.type, ...(c.scale ? { scale: c.scale } : {}) })) }));
  }
}

function toWireColumn(c: ColumnSpec): Column {
  return { name: c.name, type: typeLabel(c), scale: c.scale ?? 0 };
}

function filterValue(v: FilterValue): string | number | boolean {
  if ('stringValue' in v) return v.stringValue;
  if ('int64Value' in v) return v.int64Value;
  if ('doubleValue' in v) return v.doubleValue;
  return v.boolValue;
}

/** Turns a table library error into the protocol's error for it. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof TableError) {
      const code = err.code === 'BATCH_TOO_LARGE' ? 'BatchTooLarge' : err.code === 'BAD_SCHEMA' || err.code === 'BAD_TYPE' || err.code === 'BAD_KEY_COLUMN' ? 'BadRequest' : 'SchemaMismatch';
      throw new ServiceError(code, err.message);
    }
    throw err;
  }
}

/** An applied command that changed nothing becomes the client's error. */
/** The append's exactly-once stamp, checked; undefined when it has none. */
function producerStampOf(r: Requests['append']): ProducerStamp | undefined {
  const id = r.producerId ?? '';
  if (id === '') {
    if (r.sequence !== undefined && r.sequence !== 0) throw new ServiceError('BadRequest', 'append has a sequence but no producer_id: send both, or neither');
    return undefined;
  }
  if (Buffer.byteLength(id) > MAX_PRODUCER_ID_BYTES) throw new ServiceError('BadRequest', `producer_id is ${Buffer.byteLength(id)} bytes; at most ${MAX_PRODUCER_ID_BYTES}`);
  const sequence = r.sequence ?? 0;
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new ServiceError('BadRequest', `append with producer_id ${id} needs a sequence >= 1 (below 2^53), got ${r.sequence ?? 'none'}`);
  return { id, sequence };
}

function outcomeBody(o: { firstOffset: number; rowsWritten: number; rowsDropped: number }): { firstOffset: number; rowsWritten: number; rowsDropped: number } {
  return { firstOffset: o.firstOffset, rowsWritten: o.rowsWritten, rowsDropped: o.rowsDropped };
}

function check(result: ApplyResult): Extract<ApplyResult, { ok: true }> {
  if (result.ok) return result;
  const code = result.code === 'BadColumn' || result.code === 'BadCommand' ? 'BadRequest' : result.code;
  throw new ServiceError(code, result.message);
}
