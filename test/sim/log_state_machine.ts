// The simulator's replicated state machine: it remembers every entry applied, so the checker
// can compare replicas entry by entry. Its snapshot is that list.

import { GroupStateMachine } from '../../broker/host/multi_raft_host.js';
import { Entry, Snapshot } from '../../broker/raft/types.js';

export interface AppliedRecord {
  index: number;
  term: number;
  data: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class LogStateMachine implements GroupStateMachine {
  applied: AppliedRecord[] = [];
  appliedIndex = 0;

  constructor(private readonly onApply: (sm: LogStateMachine, entry: Entry) => void,
              private readonly onRestore: (sm: LogStateMachine, snapshot: Snapshot) => void) {}

  apply(entry: Entry): void {
    this.onApply(this, entry);
    this.applied.push({ index: entry.index, term: entry.term, data: decoder.decode(entry.data) });
    this.appliedIndex = entry.index;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ appliedIndex: this.appliedIndex, applied: this.applied }));
  }

  restore(snapshot: Snapshot): void {
    const body = snapshot.data.byteLength > 0
      ? (JSON.parse(decoder.decode(snapshot.data)) as { appliedIndex: number; applied: AppliedRecord[] })
      : { appliedIndex: snapshot.metadata.index, applied: [] };
    this.applied = body.applied;
    this.appliedIndex = snapshot.metadata.index;
    this.onRestore(this, snapshot);
  }
}
