// The node's write-ahead log: how long each group-commit flush (write + fdatasync) takes, and how
// many bytes and frames one fdatasync makes durable (the group-commit batch size).

import { Counter, Histogram, Registry, exponentialBuckets } from 'prom-client';
import type { WalFlush, WalFlushObserver } from '../../storage/wal/write_ahead_log.js';

/** 50 µs .. ~3.3 s: an NVMe fdatasync is well under 1 ms, a busy disk or a VM's tens of ms. */
const DURATION_BUCKETS_SECONDS = exponentialBuckets(0.00005, 2, 17);
/** 256 B .. 64 MiB (the largest segment). */
const BYTES_BUCKETS = exponentialBuckets(256, 4, 10);
/** 1 .. 262,144 frames (one per entry, hard state or snapshot record). */
const FRAME_BUCKETS = exponentialBuckets(1, 4, 10);

export class WalMetrics implements WalFlushObserver {
  private readonly fsyncSeconds: Histogram;
  private readonly fsyncBytes: Histogram;
  private readonly fsyncFrames: Histogram;
  private readonly flushes: Counter<'outcome'>;
  private readonly writtenBytes: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fsyncSeconds = new Histogram({ name: 'shoal_wal_fsync_duration_seconds', help: 'One group-commit flush that ended in fdatasync: write() plus fdatasync() (what a write waits for before it can commit)', buckets: DURATION_BUCKETS_SECONDS, registers });
    this.fsyncBytes = new Histogram({ name: 'shoal_wal_fsync_bytes', help: 'Bytes made durable by one fdatasync flush', buckets: BYTES_BUCKETS, registers });
    this.fsyncFrames = new Histogram({ name: 'shoal_wal_fsync_frames', help: 'WAL frames (records: one per Raft entry, hard state, snapshot) made durable by one fdatasync flush', buckets: FRAME_BUCKETS, registers });
    this.flushes = new Counter({ name: 'shoal_wal_flushes_total', help: 'Flushes of the WAL: outcome="synced" (fdatasync), "written" (dataSync=0: reached the OS only), "failed" (I/O error; the node stops)', labelNames: ['outcome'], registers });
    this.writtenBytes = new Counter({ name: 'shoal_wal_written_bytes_total', help: 'Bytes written to the WAL by successful flushes', registers });
    for (const outcome of ['synced', 'written', 'failed']) this.flushes.inc({ outcome }, 0);
  }

  flushStarted(): (flush: WalFlush) => void {
    const elapsedSeconds = this.fsyncSeconds.startTimer();
    return (f) => this.flushEnded(f, elapsedSeconds);
  }

  /** `elapsedSeconds` observes into the duration histogram (and returns the seconds). */
  private flushEnded(f: WalFlush, elapsedSeconds: () => number): void {
    if (f.failed) {
      this.flushes.inc({ outcome: 'failed' });
      return;
    }
    this.writtenBytes.inc(f.bytes);
    if (f.fdatasyncs === 0) {
      this.flushes.inc({ outcome: 'written' });
      return;
    }
    elapsedSeconds();
    this.fsyncBytes.observe(f.bytes);
    this.fsyncFrames.observe(f.frames);
    this.flushes.inc({ outcome: 'synced' });
  }
}

