// Found by perf/wal_bench.ts: at 16 concurrent writers each fdatasync carried 8.0 records, not
// about 16. Writers that await sync() resume in promise jobs that run after the WAL's flush
// callback has returned; by then that callback has already started the next flush with whatever
// was waiting. The first writer to resume then finds no flush in flight and flushes its record
// alone, while the other 15 queue behind it: batches alternate 1, 15, 1, 15 (mean 8).
// Runs over the in-memory file layer so it is deterministic. Fixed by starting every flush with
// setImmediate, after the released writers have appended again.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MemoryWalFiles } from '../../../storage/wal/memory_wal_files.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';
import { entryRecord, syncOnce } from './wal_test_support.js';

const WRITERS = 16;
const RECORDS_PER_WRITER = 50;

it('with 16 writers each awaiting its sync, each fdatasync carries nearly all 16 records', async () => {
  const { wal } = WriteAheadLog.open({ files: new MemoryWalFiles(), maxSegmentBytes: 1 << 30 });
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let lsn = 1; lsn <= RECORDS_PER_WRITER; lsn++) {
        wal.append([entryRecord(w + 1, lsn, 100)]);
        await syncOnce(wal);
      }
    }),
  );
  const perSync = (WRITERS * RECORDS_PER_WRITER) / wal.stats.fdatasyncs;
  assert.ok(perSync >= 14, `${perSync.toFixed(1)} records per fdatasync over ${wal.stats.fdatasyncs} fdatasyncs`);
});
