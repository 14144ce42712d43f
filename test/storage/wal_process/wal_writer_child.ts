// The process the crash test kills with SIGKILL. It opens the write-ahead log in a directory on the
// real disk, resumes each writer after the last LSN it recovered, and runs `writers` concurrent
// writers (group g = writer g). Each writer appends one record, calls sync, and only once the sync
// callback has succeeded prints `ack <group> <lsn>`; then it appends the next. So a line on stdout
// is a promise that the record is durable.
//
// Usage: node wal_writer_child.js <dir> <writers> <maxSegmentBytes> <maxRunMs>
// Exits by itself after maxRunMs (code 3) so an orphan never runs forever; exits 2 on a WAL error.

import { WalRecord } from '../../../broker/host/wal_records.js';
import { NodeWalFiles } from '../../../storage/wal/node_wal_files.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';
import { syncOnce } from '../wal/wal_test_support.js';
import { ackLine, readyLine, workloadRecord } from './crash_workload.js';

function lastLsnByGroup(records: readonly WalRecord[]): Map<number, number> {
  const last = new Map<number, number>();
  for (const r of records) if (r.kind === 'entries') for (const e of r.entries) last.set(r.group, Math.max(last.get(r.group) ?? 0, e.index));
  return last;
}

async function runWriter(wal: WriteAheadLog, group: number, firstLsn: number): Promise<never> {
  for (let lsn = firstLsn; ; lsn++) {
    wal.append([workloadRecord(group, lsn)]);
    await syncOnce(wal);
    process.stdout.write(ackLine(group, lsn));
  }
}

function main(): void {
  const [dir, writersArg, maxSegmentArg, maxRunArg] = process.argv.slice(2);
  const writers = Number(writersArg);
  const maxSegmentBytes = Number(maxSegmentArg);
  const maxRunMs = Number(maxRunArg);
  if (!dir || !(writers >= 1) || !(maxSegmentBytes > 0) || !(maxRunMs > 0)) {
    process.stderr.write('usage: wal_writer_child.js <dir> <writers> <maxSegmentBytes> <maxRunMs>\n');
    process.exit(64);
  }
  setTimeout(() => process.exit(3), maxRunMs).unref();
  const { wal, recovery } = WriteAheadLog.open({ files: new NodeWalFiles(dir), maxSegmentBytes });
  const last = lastLsnByGroup(recovery.records);
  process.stdout.write(readyLine(recovery.frames));
  for (let group = 1; group <= writers; group++) {
    runWriter(wal, group, (last.get(group) ?? 0) + 1).catch((error: unknown) => {
      process.stderr.write(`writer ${group} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(2);
    });
  }
}

main();
