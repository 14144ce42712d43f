// A node's write-ahead log in memory, with the failure model of a real disk: appended records
// are lost on a crash until a sync completes; a crash may keep any prefix of the unsynced
// records and tear the next one (keep only some of its entries); a sync may fail (EIO).

import { HostWal } from '../../broker/host/multi_raft_host.js';
import { WalRecord } from '../../broker/host/wal_records.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { EventQueue } from './event_queue.js';

export interface DiskFaults {
  syncLatencyMsMax: number;
}

export class SimDisk {
  private durable: WalRecord[] = [];
  private unsynced: WalRecord[] = [];
  private incarnation = 0;
  private failNext = false;
  stats = { syncs: 0, failedSyncs: 0, tornRecords: 0, lostRecords: 0 };

  constructor(private readonly queue: EventQueue, private readonly rng: SeededRandom, private readonly faults: DiskFaults) {}

  /** The WAL handed to one incarnation of the node; dies with it. */
  wal(): HostWal {
    const incarnation = this.incarnation;
    return {
      append: (records) => {
        if (incarnation === this.incarnation) this.unsynced.push(...records);
      },
      sync: (done) => {
        const upTo = this.unsynced.length;
        this.queue.schedule(1 + this.rng.intBelow(this.faults.syncLatencyMsMax), () => {
          if (incarnation !== this.incarnation) return; // the node crashed meanwhile
          if (this.failNext) {
            this.failNext = false;
            this.stats.failedSyncs++;
            done(new Error('EIO: simulated write failure'));
            return;
          }
          this.stats.syncs++;
          this.durable.push(...this.unsynced.splice(0, upTo));
          done();
        });
      },
    };
  }

  /** The next sync reports EIO (its records stay unsynced, as after a failed fdatasync). */
  failNextSync(): void {
    this.failNext = true;
  }

  /** Power loss: keep what was synced, a random prefix of the rest, maybe a torn record after it. */
  crash(): void {
    this.incarnation++;
    const kept = this.rng.intBelow(this.unsynced.length + 1);
    const survivors = this.unsynced.slice(0, kept);
    const next = this.unsynced[kept];
    if (next && next.kind === 'entries' && next.entries.length > 1 && this.rng.chance(0.5)) {
      // Each entry is framed on its own on disk: a torn write keeps a prefix of them.
      survivors.push({ ...next, entries: next.entries.slice(0, 1 + this.rng.intBelow(next.entries.length - 1)) });
      this.stats.tornRecords++;
    }
    this.stats.lostRecords += this.unsynced.length - survivors.length;
    // What survived a crash is on the platter now: recovery reads it and later syncs keep it.
    this.durable.push(...survivors);
    this.unsynced = [];
  }

  records(): readonly WalRecord[] {
    return this.durable;
  }
}
