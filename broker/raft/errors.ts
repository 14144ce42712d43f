// Typed errors the Raft core hands to its host. Each carries a stable code the host can map to a
// client-facing error (for example NotLeader becomes `<NotLeader>host:port:alias`).

export class RaftError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RaftError';
  }
}

/** The proposal reached a node that is not the leader; `leaderId` is the leader it knows, or 0. */
export class NotLeaderError extends RaftError {
  constructor(readonly leaderId: number) {
    super('NotLeader', leaderId ? `not the leader; the leader is node ${leaderId}` : 'not the leader; no leader is known');
    this.name = 'NotLeaderError';
  }
}

/** The leader refused a proposal (transfer in progress, witness leader, too many uncommitted bytes). */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super('ProposalDropped', `proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

/** A membership change that is invalid or would overlap a change not yet applied. */
export class ConfChangeError extends RaftError {
  constructor(reason: string) {
    super('ConfChangeRejected', `membership change rejected: ${reason}`);
    this.name = 'ConfChangeError';
  }
}

/** A broken invariant inside the core: a bug, never a user error. Stops loudly instead of corrupting. */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super('InvariantBroken', message);
    this.name = 'RaftInvariantError';
  }
}

export function invariant(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(message());
}
