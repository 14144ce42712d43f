// Writes go to the leader of the table's raft group. callOnLeader runs a call at a node and, when the
// node answers NotLeader, runs it again at the leader it names (`<NotLeader>host:port:alias`), or after a
// pause at the same node while no leader is known (an election is under way). A NotLeader answer means
// the node did not take the call, so running it again is safe for any call, appends included.
// Bounded: MAX_LEADER_HOPS answers, then NO_LEADER naming every node tried.

import { ShoalError } from '../../clients/shoal_client.js';
import { CliError } from './cli_errors.js';
import { NodeAddress, addressOf } from './cli_target.js';

export const MAX_LEADER_HOPS = 8;
/** The pause before asking again when a node knows no leader; elections take one to two seconds. */
export const NO_LEADER_PAUSE_MS = 250;

export interface LeaderCallOptions {
  /** How to wait NO_LEADER_PAUSE_MS; tests pass one that does not. */
  pause?: (ms: number) => Promise<void>;
}

const realPause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The call's result and the node that gave it, where the next call of the same group should start. */
export async function callOnLeader<C, T>(
  open: (at: NodeAddress) => Promise<C>,
  start: NodeAddress,
  call: (client: C) => Promise<T>,
  options: LeaderCallOptions = {},
): Promise<{ value: T; at: NodeAddress }> {
  let at = start;
  const tried: string[] = [];
  for (let hop = 0; ; hop++) {
    try {
      return { value: await call(await open(at)), at };
    } catch (err) {
      if (!(err instanceof ShoalError) || err.code !== 'NotLeader') throw err;
      tried.push(`${at.label} (${err.leader === undefined ? 'no leader known' : `leader ${err.leader}`})`);
      if (hop + 1 >= MAX_LEADER_HOPS) {
        throw new CliError('NO_LEADER', `no node would take the call as leader after ${tried.length} tries: ${tried.join(' -> ')}; the group may be electing, retry in a few seconds`);
      }
      const leader = err.leader === undefined ? undefined : addressOf(err.leader);
      if (leader === undefined) await (options.pause ?? realPause)(NO_LEADER_PAUSE_MS);
      else at = leader;
    }
  }
}
