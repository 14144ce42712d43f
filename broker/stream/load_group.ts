// Rebuilds a stream group's state from the state store at startup: table definitions and next
// offsets, retained rows (the newest cacheLimit of them in memory), dedup keys, producers' recent
// append outcomes, subscription offsets, and the LSN all of it reflects. The Raft log above that LSN is then replayed.

import { loadAppliedLsn } from '../../storage/state/group_state_writer.js';
import { KeyKind, decodeStateKey, dedupRange, kindRange, tableProducersRange } from '../../storage/state/keys.js';
import { scanPages, StateStore } from '../../storage/state/state_store.js';
import { TableRowCache } from '../../storage/state/table_row_cache.js';
import { decodeProducerOutcome, decodeSubscriptionOffset, decodeTableMeta } from '../../storage/state/values.js';
import { currentGeneration } from '../../storage/snapshot/generation.js';
import { ProducerHistory, ProducerWindows } from './producer_windows.js';
import { LoadedGroup } from './stream_group.js';
import { StreamTable, keyStringOf } from './stream_table.js';
import { decodeDefinition } from './table_definition.js';

const PAGE = 1024;

export async function loadStreamGroup(store: StateStore, group: number): Promise<LoadedGroup> {
  const generation = await currentGeneration(store, group);
  const appliedLsn = await loadAppliedLsn(store, group);
  const tables: StreamTable[] = [];
  for await (const page of scanPages(store, kindRange(group, generation, KeyKind.TableMeta), PAGE)) {
    for (const [, value] of page) {
      const meta = decodeTableMeta(value);
      const definition = decodeDefinition(meta.schemaBytes);
      const rows = await TableRowCache.load(store, {
        group, generation, table: definition.name, cacheLimitRows: definition.cacheLimit,
        retentionMinutes: definition.retentionMinutes, nextOffset: meta.nextOffset,
      });
      const keys = new Set<string>();
      if (definition.keyIndexes.length > 0) {
        for await (const keyPage of scanPages(store, dedupRange(group, generation, definition.name), PAGE)) {
          for (const [key] of keyPage) {
            const k = decodeStateKey(key);
            if (k.kind === KeyKind.Dedup) keys.add(keyStringOf(k.dedupKey));
          }
        }
      }
      const producers = new Map<string, ProducerHistory>();
      for await (const producerPage of scanPages(store, tableProducersRange(group, generation, definition.name), PAGE)) {
        for (const [key, value] of producerPage) {
          const k = decodeStateKey(key);
          if (k.kind !== KeyKind.ProducerSequence) continue;
          let history = producers.get(k.producer);
          if (history === undefined) producers.set(k.producer, (history = new ProducerHistory()));
          history.load(k.sequence, decodeProducerOutcome(value));
        }
      }
      const windows = new ProducerWindows(group, generation, definition.name, producers);
      tables.push(new StreamTable(definition, rows, keys, group, generation, windows));
    }
  }
  const offsets = new Map<string, number>();
  for await (const page of scanPages(store, kindRange(group, generation, KeyKind.SubscriptionOffset), PAGE)) {
    for (const [key, value] of page) {
      const k = decodeStateKey(key);
      if (k.kind === KeyKind.SubscriptionOffset) offsets.set(k.topic, decodeSubscriptionOffset(value).offset);
    }
  }
  return { generation, appliedLsn, tables, offsets };
}
