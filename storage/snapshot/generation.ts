// Which generation of a group's state is current. A snapshot install writes the new state under a
// fresh generation and then flips the pointer (one small record at a fixed key, keys.ts), so a
// reader sees either the old state or the new one, never a mix, even across a crash.

import { FIRST_GENERATION, generationPointerKey, generationsRange, GROUP_RECORDS_GENERATION, MAX_GENERATION } from '../state/keys.js';
import { StateOp, StateReader, StateStore } from '../state/state_store.js';
import { decodeGenerationPointer } from '../state/values.js';

/** The generation every read of the group's state must use. FIRST_GENERATION when never switched. */
export async function currentGeneration(store: StateReader, group: number): Promise<number> {
  const bytes = await store.get(generationPointerKey(group));
  return bytes === undefined ? FIRST_GENERATION : decodeGenerationPointer(bytes).generation;
}

/** Ops deleting every generation of the group except `keep` and the group's own records. */
export function staleGenerationOps(group: number, keep: number): StateOp[] {
  const ops: StateOp[] = [];
  const below = generationsRange(group, GROUP_RECORDS_GENERATION + 1, keep);
  if (keep > FIRST_GENERATION) ops.push({ op: 'delRange', ...below });
  if (keep < MAX_GENERATION) ops.push({ op: 'delRange', ...generationsRange(group, keep + 1, MAX_GENERATION + 1) });
  return ops;
}

/**
 * Drops what an interrupted install or an unfinished cleanup left behind: every generation but the
 * current one. Run at startup and before each install. Returns the current generation.
 */
export async function cleanupStaleGenerations(store: StateStore, group: number): Promise<number> {
  const current = await currentGeneration(store, group);
  await store.write(staleGenerationOps(group, current));
  return current;
}
