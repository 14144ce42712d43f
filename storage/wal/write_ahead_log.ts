// One write-ahead log per node, shared by all its Raft groups.
//
// Group commit: append() only encodes; sync() asks for durability. While a write+fdatasync is in
// flight, everything appended meanwhile waits and goes out together in the next one, so one
// fdatasync serves every group and every writer with pending records.
//
// dataSync=true (default): sync() calls back only after fdatasync. dataSync=false: after the write
// reaches the OS (survives a process crash, not a power loss); segments are still synced when
// sealed and before a checkpoint releases older ones, so the log is never left inconsistent.
//
// A failed write or sync fails every caller of that batch (never acknowledged), cuts the segment
// back to what was acknowledged before, and later appends try again: a full disk heals by itself.

import { HostWal } from '../../broker/host/multi_raft_host.js';
import { WalRecord } from '../../broker/host/wal_records.js';
import { WalError, WalWriteError, osCodeOf } from './errors.js';
import { FRAME_HEADER_BYTES } from './frame.js';
import { EncodedFrame, FrameChunks, copiedBytes, encodeFrame, encodedBytes } from './frame_chunks.js';
import { framesToRecords, recordToFrames } from './record_codec.js';
import { SegmentInfo, segmentHeaderFrame, segmentName } from './segments.js';
import { TornTail, readWal } from './wal_reader.js';
import { Done, WalFile, WalFiles } from './wal_files.js';

export interface WalOptions {
  files: WalFiles;
  /**
   * How a flush is started later: by default setImmediate, so writers released by the last
   * fdatasync append again before the next one starts and all ride it (the simulator passes its clock).
   */
  defer?: (run: () => void) => void;
  /** A segment is sealed and a new one started once it would grow past this. */
  maxSegmentBytes?: number;
  /** Largest payload of one frame (one entry). */
  maxRecordBytes?: number;
  dataSync?: boolean;
}

export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** The largest first block a write's small frames are copied into (FrameChunks); more come as needed. */
const FIRST_BLOCK_MAX_BYTES = 1024 * 1024;

export interface WalRecovery {
  records: WalRecord[];
  segments: number;
  frames: number;
  tornTail: TornTail | undefined;
}

/** What one flush (one group-commit write, and its fdatasyncs) did; for metrics. */
export interface WalFlush {
  bytes: number;
  frames: number;
  fdatasyncs: number;
  failed: boolean;
}

/** Watches flushes: flushStarted() as one begins, and the function it returns when it ends (the caller times it). */
export interface WalFlushObserver {
  flushStarted(): (flush: WalFlush) => void;
}

/** The frames one segment receives in one flush. */
interface SegmentWrite {
  seq: number;
  chunks: FrameChunks;
  opensCheckpoint: boolean;
}

interface OpenSegment {
  info: SegmentInfo;
  file: WalFile | undefined; // opened at the first write
  existsOnDisk: boolean;
  writtenBytes: number; // position of the next write
  syncedBytes: number; // what fdatasync has made durable
  ackedBytes: number; // end of the last batch reported durable (or, with dataSync=false, written)
}

export class WriteAheadLog implements HostWal {
  private readonly files: WalFiles;
  private readonly maxSegmentBytes: number;
  private readonly maxRecordBytes: number;
  private readonly dataSync: boolean;
  private readonly segments: SegmentInfo[]; // oldest first; the last is the one being written
  private current: OpenSegment;
  private pending: EncodedFrame[] = [];
  private checkpointRequested = false; // the next flush opens a new segment with a checkpoint
  private checkpointSeq: number | undefined; // the segment that opens with the latest durable checkpoint
  private waiters: Done[] = [];
  private forceDataSync = false;
  private inFlight = false; // a flush is scheduled or running
  private readonly defer: (run: () => void) => void;
  private closed = false;
  readonly stats = { flushes: 0, fdatasyncs: 0, framesWritten: 0, bytesWritten: 0, failedFlushes: 0, segmentsReleased: 0 };
  /** Optional (metrics); never changes what the log does. */
  observer: WalFlushObserver | undefined;

  /** Reads and checks the log, cuts off a torn tail, and opens it for appending after it. */
  static open(opts: WalOptions): { wal: WriteAheadLog; recovery: WalRecovery } {
    const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    const contents = readWal(opts.files, maxRecordBytes);
    if (contents.tornTail) opts.files.truncateSync(contents.tornTail.segment, contents.tornTail.offsetBytes);
    const wal = new WriteAheadLog(opts, contents.segments);
    const recovery = {
      records: framesToRecords(contents.frames),
      segments: contents.segments.length,
      frames: contents.frames.length,
      tornTail: contents.tornTail,
    };
    return { wal, recovery };
  }

  private constructor(opts: WalOptions, recovered: SegmentInfo[]) {
    this.files = opts.files;
    this.maxSegmentBytes = opts.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.dataSync = opts.dataSync ?? true;
    this.defer = opts.defer ?? ((run) => setImmediate(run));
    this.segments = recovered;
    const last = recovered[recovered.length - 1];
    const info = last ?? { seq: 1, name: segmentName(1), sizeBytes: 0 };
    if (!last) this.segments.push(info);
    const size = info.sizeBytes;
    this.current = { info, file: undefined, existsOnDisk: last !== undefined, writtenBytes: size, syncedBytes: size, ackedBytes: size };
  }

  // ---- writing -------------------------------------------------------------------------------

  append(records: WalRecord[]): void {
    if (this.closed) throw new WalError('WalClosed', 'write-ahead log is closed');
    const frames = records.flatMap(recordToFrames);
    for (const f of frames) {
      if (f.payload.length > this.maxRecordBytes) {
        throw new WalError('WalRecordTooLarge', `record of ${f.payload.length} bytes exceeds maxRecordBytes ${this.maxRecordBytes}`);
      }
    }
    for (const f of frames) this.pending.push(encodeFrame(f));
  }

  /** Calls done once everything appended before this call is durable (see dataSync). */
  sync(done: Done): void {
    if (this.closed) return done(new WalError('WalClosed', 'write-ahead log is closed'));
    this.waiters.push(done);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.inFlight) return;
    this.inFlight = true;
    this.defer(() => this.flush());
  }

  /**
   * The frames appended next restate the writer's whole state (see MultiRaftHost.checkpoint):
   * they open a new segment, and once durable everything before that segment may be released.
   */
  beginCheckpoint(): void {
    this.checkpointRequested = true;
  }

  /** Splits frames into per-segment writes, starting new segments where one would grow too big. */
  private layout(frames: EncodedFrame[]): SegmentWrite[] {
    const writes: SegmentWrite[] = [];
    let seq = this.current.info.seq;
    let size = this.current.writtenBytes;
    const copied = copiedBytes(frames);
    const startSegment = (next: number): SegmentWrite => {
      const header = next !== this.current.info.seq || size === 0 ? encodeFrame(segmentHeaderFrame(next)) : undefined;
      // Sized for the whole batch, up to a cap: past it (a checkpoint's restatement, say) blocks are added as needed.
      const firstBlock = Math.min(FIRST_BLOCK_MAX_BYTES, copied + (header ? copiedBytes([header]) : 0));
      const w: SegmentWrite = { seq: next, chunks: new FrameChunks(firstBlock), opensCheckpoint: false };
      if (header) w.chunks.add(header);
      if (next !== this.current.info.seq) {
        this.segments.push({ seq: next, name: segmentName(next), sizeBytes: 0 });
      }
      size = next === this.current.info.seq ? size + w.chunks.sizeBytes : w.chunks.sizeBytes;
      writes.push(w);
      return w;
    };
    const opensCheckpoint = this.checkpointRequested && frames.length > 0;
    if (opensCheckpoint && size > FRAME_HEADER_BYTES) seq++; // an empty open segment can hold it
    this.checkpointRequested &&= !opensCheckpoint;
    let w = startSegment(seq);
    w.opensCheckpoint = opensCheckpoint;
    for (const f of frames) {
      const bytes = encodedBytes(f);
      if (size > FRAME_HEADER_BYTES && size + bytes > this.maxSegmentBytes) w = startSegment(++seq);
      w.chunks.add(f);
      size += bytes;
    }
    // A segment sealed before any of this batch went into it needs no write and no extra fdatasync.
    return writes.filter((x, i) => x.chunks.sizeBytes > 0 || i === writes.length - 1);
  }

  private segmentInfo(seq: number): SegmentInfo {
    const info = this.segments.find((s) => s.seq === seq);
    if (!info) throw new Error(`no segment ${seq}`);
    return info;
  }

  private flush(): void {
    const batch = this.layout(this.pending);
    const waiters = this.waiters;
    const forceDataSync = this.forceDataSync;
    this.pending = [];
    this.waiters = [];
    this.forceDataSync = false;
    this.stats.flushes++;
    const flushEnded = this.observer?.flushStarted();
    const fdatasyncsBefore = this.stats.fdatasyncs;
    this.writeBatch(batch, 0, forceDataSync, (error) => {
      this.inFlight = false;
      flushEnded?.({ bytes: sumOf(batch, (w) => w.chunks.sizeBytes), frames: sumOf(batch, (w) => w.chunks.frames), fdatasyncs: this.stats.fdatasyncs - fdatasyncsBefore, failed: error !== undefined });
      if (error) this.onWriteFailed(error, batch, waiters);
      else for (const w of waiters) w();
      if (this.waiters.length > 0 && !this.closed) this.scheduleFlush();
    });
  }

  private writeBatch(batch: SegmentWrite[], i: number, forceDataSync: boolean, done: (error?: WalWriteError) => void): void {
    const w = batch[i];
    if (!w) return done();
    this.ensureSegment(w.seq, (openError) => {
      if (openError) return done(openError);
      const seg = this.current;
      const chunks = w.chunks.finish();
      seg.file!.write(chunks, seg.writtenBytes, (writeError) => {
        if (writeError) return done(this.writeError(writeError));
        seg.writtenBytes += w.chunks.sizeBytes;
        seg.info.sizeBytes = seg.writtenBytes;
        this.stats.framesWritten += w.chunks.frames;
        this.stats.bytesWritten += w.chunks.sizeBytes;
        const finish = (): void => {
          seg.ackedBytes = seg.writtenBytes;
          if (w.opensCheckpoint) this.checkpointSeq = w.seq;
          this.writeBatch(batch, i + 1, forceDataSync, done);
        };
        // A segment sealed by a later write of this batch is synced when the next one opens.
        if (!this.dataSync && !forceDataSync) return finish();
        this.syncOpenSegment((syncError) => (syncError ? done(syncError) : finish()));
      });
    });
  }

  private syncOpenSegment(done: (error?: WalWriteError) => void): void {
    const seg = this.current;
    const upTo = seg.writtenBytes;
    this.stats.fdatasyncs++;
    seg.file!.datasync((error) => {
      if (error) return done(this.writeError(error));
      seg.syncedBytes = upTo;
      done();
    });
  }

  /** Makes `seq` the open segment: seals the previous one (synced whatever dataSync says) and creates the file. */
  private ensureSegment(seq: number, done: (error?: WalWriteError) => void): void {
    const seg = this.current;
    if (seg.info.seq === seq && seg.file) return done();
    if (seg.info.seq === seq) {
      const opened = (error: Error | undefined, file?: WalFile): void => {
        if (error) return done(this.writeError(error));
        seg.file = file;
        seg.existsOnDisk = true;
        done();
      };
      if (seg.existsOnDisk) this.files.open(seg.info.name, opened);
      else this.files.create(seg.info.name, opened);
      return;
    }
    const previous = seg.file;
    const open = (): void => {
      this.current = { info: this.segmentInfo(seq), file: undefined, existsOnDisk: false, writtenBytes: 0, syncedBytes: 0, ackedBytes: 0 };
      if (!previous) return this.ensureSegment(seq, done);
      previous.close(() => this.ensureSegment(seq, done));
    };
    // A sealed segment is never left with unsynced bytes: recovery trusts every segment but the last.
    if (previous && seg.syncedBytes < seg.writtenBytes) return this.syncOpenSegment((error) => (error ? done(error) : open()));
    open();
  }

  private writeError(error: Error): WalWriteError {
    return new WalWriteError(osCodeOf(error), `${this.files.location}/${this.current.info.name}`, error.message);
  }

  /**
   * Nothing of the failed batch is acknowledged. The open segment is cut back to what was, and
   * the batch's frames are dropped; frames appended since stay queued and go out with the next sync.
   */
  private onWriteFailed(error: WalWriteError, batch: SegmentWrite[], waiters: Done[]): void {
    this.stats.failedFlushes++;
    const seg = this.current;
    seg.writtenBytes = seg.ackedBytes;
    seg.syncedBytes = Math.min(seg.syncedBytes, seg.ackedBytes);
    seg.info.sizeBytes = seg.ackedBytes;
    // Segments the batch started after the open one never happened: the next flush starts over.
    for (const w of batch) {
      if (w.seq > seg.info.seq) this.segments.splice(this.segments.findIndex((s) => s.seq === w.seq), 1);
    }
    const fail = (): void => {
      for (const w of waiters) w(error);
    };
    if (!seg.file) return fail();
    seg.file.truncate(seg.ackedBytes, () => fail());
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  /**
   * Deletes every segment before the one the latest checkpoint opened. The open segment is synced
   * first, whatever dataSync says, so the restated state is durable before what it replaces goes.
   */
  releaseBeforeCheckpoint(done: (error: Error | undefined, released: string[]) => void): void {
    this.forceDataSync = true;
    this.sync((error) => {
      if (error) return done(error, []);
      const boundary = this.checkpointSeq;
      const names = boundary === undefined ? [] : this.segments.filter((s) => s.seq < boundary).map((s) => s.name);
      this.removeInOrder(names, 0, (removeError) => done(removeError, names));
    });
  }

  private removeInOrder(names: string[], i: number, done: Done): void {
    const name = names[i];
    if (name === undefined) return done();
    this.files.remove(name, (error) => {
      if (error) return done(error);
      this.segments.splice(this.segments.findIndex((s) => s.name === name), 1);
      this.stats.segmentsReleased++;
      this.removeInOrder(names, i + 1, done);
    });
  }

  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  close(done: Done): void {
    this.sync((error) => {
      this.closed = true;
      const file = this.current.file;
      this.current.file = undefined;
      if (!file) return done(error);
      file.close(() => done(error));
    });
  }
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  let n = 0;
  for (const item of items) n += value(item);
  return n;
}
