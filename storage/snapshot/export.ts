// Exports one generation of a group's state as a sequence of chunks (chunk.ts), read from a
// consistent view so writes that land during the export cannot leak into it.

import { generationRange, stripGroupPrefix } from '../state/keys.js';
import { scanPages, StateReader } from '../state/state_store.js';
import { CHUNK_OVERHEAD_BYTES, encodeChunk, PAIR_OVERHEAD_BYTES } from './chunk.js';

export interface ExportedChunk {
  seq: number;
  last: boolean;
  bytes: Uint8Array; // the encoded chunk, ready to send
}

/** Pairs read from the view per scan; bounds the exporter's memory together with maxChunkBytes. */
const EXPORT_SCAN_PAGE = 256;

/**
 * Yields the chunks of `group`'s state in `generation`, as of `view` (a StateStore.snapshot(), or
 * GroupStateWriter.viewWithLsn(), whose LSN is `snapshotLsn`). The caller releases the view.
 * A chunk holds pairs up to maxChunkBytes of encoded size, except that a single pair larger than that
 * travels alone. There is always at least one chunk, and only the final one is `last`.
 */
export async function* exportGroupSnapshot(
  view: StateReader,
  group: number,
  generation: number,
  maxChunkBytes: number,
  snapshotLsn: number,
): AsyncGenerator<ExportedChunk> {
  if (!(maxChunkBytes > CHUNK_OVERHEAD_BYTES)) throw new RangeError(`maxChunkBytes must exceed the ${CHUNK_OVERHEAD_BYTES}-byte chunk header, got ${maxChunkBytes}`);
  let seq = 0;
  let pairs: Array<[Uint8Array, Uint8Array]> = [];
  let chunkBytes = CHUNK_OVERHEAD_BYTES;
  for await (const page of scanPages(view, generationRange(group, generation), EXPORT_SCAN_PAGE)) {
    for (const [key, value] of page) {
      const stripped = stripGroupPrefix(key);
      const pairBytes = PAIR_OVERHEAD_BYTES + stripped.byteLength + value.byteLength;
      if (pairs.length > 0 && chunkBytes + pairBytes > maxChunkBytes) {
        yield { seq, last: false, bytes: encodeChunk({ group, snapshotLsn, seq, last: false, pairs }) };
        seq++;
        pairs = [];
        chunkBytes = CHUNK_OVERHEAD_BYTES;
      }
      pairs.push([stripped, value]);
      chunkBytes += pairBytes;
    }
  }
  yield { seq, last: true, bytes: encodeChunk({ group, snapshotLsn, seq, last: true, pairs }) };
}
