// Majority arithmetic over the voting members (voters and witnesses).

export enum VoteResult {
  Pending = 'Pending',
  Won = 'Won',
  Lost = 'Lost',
}

export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** The highest index persisted by a majority of `members`, given each member's match index. */
export function committedIndex(members: readonly number[], matchOf: (id: number) => number): number {
  if (members.length === 0) return 0;
  const matches = members.map(matchOf).sort((a, b) => b - a);
  return matches[majority(members.length) - 1]!;
}

export function voteResult(members: readonly number[], votes: ReadonlyMap<number, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of members) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const need = majority(members.length);
  if (granted >= need) return VoteResult.Won;
  if (rejected > members.length - need) return VoteResult.Lost;
  return VoteResult.Pending;
}
