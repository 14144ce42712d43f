// What a fault run records, for the checker to judge: every append with its invocation, completion and
// outcome, every row each subscriber was handed, the faults injected, and at the end a full read of
// every table on every replica. Rows are identified by a unique id column written by the workload.

/** ok: acknowledged; fail: definitely not applied (a typed refusal); unknown: may or may not be applied. */
export type Outcome = 'ok' | 'fail' | 'unknown';

export interface AppendOp {
  kind: 'append';
  /** The producer that issued it, e.g. "p3". */
  process: string;
  table: string;
  /** The ids of the rows, in batch order. */
  ids: string[];
  invokedAtMs: number;
  completedAtMs: number;
  outcome: Outcome;
  /** For ok: where the acknowledgement says the rows went. */
  firstOffset?: number;
  rowsWritten?: number;
  repeated?: boolean;
  /** For fail / unknown: the error code and message. */
  error?: string;
}

export interface SubscriberInfo {
  /** e.g. "s2". */
  subscriber: string;
  table: string;
  /** The offset it subscribed from (>= 0). Deliveries must run from here, one offset after another. */
  startOffset: number;
  persistOffset: boolean;
}

/** One row handed to a subscriber's handler. */
export interface Delivery {
  subscriber: string;
  table: string;
  offset: number;
  id: string;
  atMs: number;
}

/** A complete read of one table on one replica after everything healed. */
export interface ReplicaRead {
  /** The node's alias, e.g. "dn2". */
  node: string;
  table: string;
  /** Every retained row, in offset order. */
  rows: Array<{ offset: number; id: string }>;
  /**
   * The oldest offset the node still retains (readTable's first_offset), when it purged older rows.
   * Absent means 0: a replica whose rows start later without saying so is missing rows (divergence).
   */
  firstOffset?: number;
}

export interface TableInfo {
  name: string;
  /** Keyed on the id column: a row whose id exists is dropped (so a retried batch never repeats). */
  keyed: boolean;
  /** The nodes that should hold it (its group's members); each one without a final read is reported. */
  replicas?: string[];
}

export interface FaultEvent {
  atMs: number;
  /** e.g. "kill -9 dn2 (leader of group 2)", "partition dn1 -/-> dn3", "heal". */
  what: string;
}

export interface History {
  seed: number;
  tables: TableInfo[];
  appends: AppendOp[];
  subscribers: SubscriberInfo[];
  deliveries: Delivery[];
  finalReads: ReplicaRead[];
  faults: FaultEvent[];
}
