// A node's disk in the simulator: the real write-ahead log (storage/wal) over in-memory files
// that keep the failure model of a real disk. Appended bytes are lost on a crash until an
// fdatasync completes, except a random prefix of them, which may end inside a frame (a torn
// write); a sync may fail (EIO). Every I/O completes after a random delay on the fake clock.

import { SeededRandom } from '../../broker/raft/random.js';
import { WalRecord } from '../../broker/host/wal_records.js';
import { MemoryWalFiles } from '../../storage/wal/memory_wal_files.js';
import { WriteAheadLog } from '../../storage/wal/write_ahead_log.js';
import { EventQueue } from './event_queue.js';

export interface DiskFaults {
  ioLatencyMsMax: number;
  /** Small segments, so checkpoints release some while the simulation runs. */
  maxSegmentBytes: number;
}

export class SimDisk {
  readonly files: MemoryWalFiles;
  private current: WriteAheadLog | undefined;
  private incarnation = 0;
  stats = { recoveries: 0, tornTails: 0 };

  constructor(private readonly queue: EventQueue, private readonly rng: SeededRandom, private readonly faults: DiskFaults) {
    this.files = new MemoryWalFiles({ defer: (run) => queue.schedule(rng.intBelow(faults.ioLatencyMsMax + 1), run) });
  }

  /** Opens the log as a restarting node does: reads and checks it, cuts a torn tail, appends after it. */
  recover(): WalRecord[] {
    const { wal, recovery } = WriteAheadLog.open({
      files: this.files,
      maxSegmentBytes: this.faults.maxSegmentBytes,
      defer: (run) => {
        // On the fake clock, never setImmediate; and a crashed incarnation's log never runs again.
        const incarnation = this.incarnation;
        this.queue.schedule(0, () => incarnation === this.incarnation && run());
      },
    });
    this.current = wal;
    this.stats.recoveries++;
    if (recovery.tornTail) this.stats.tornTails++;
    return recovery.records;
  }

  /** The log of the running incarnation. */
  wal(): WriteAheadLog {
    if (!this.current) this.recover();
    return this.current!;
  }

  failNextSync(): void {
    this.files.failNextSync('EIO');
  }

  /** Power loss: unsynced bytes go, but for a random prefix. In-flight I/O never completes. */
  crash(): void {
    this.current = undefined;
    this.incarnation++;
    this.files.crash((n) => this.rng.intBelow(n));
  }
}
