// The rows a subscription has received and not yet handed to its handler, and the rule that says
// when the next handler call is due (DolphinDB's subscribeTable semantics):
//   - no batchSize, rows one at a time   -> one call per row
//   - no batchSize, msgAsTable           -> one call per push, as it came
//   - batchSize > 0                      -> a call with batchSize rows as soon as that many are buffered,
//                                           or with everything buffered once `throttle` has passed since
//                                           the first of them arrived
// Pure: time comes in as an argument, so the rule is tested without clocks or sockets.

import { ReceivedRows } from './rows_push.js';

export type DeliveryMode =
  | { kind: 'row' }
  | { kind: 'push' }
  | { kind: 'batch'; batchSize: number; throttleMs: number };

/** Rows from..to-1 of one received push. */
export interface ChunkPiece {
  readonly rows: ReceivedRows;
  readonly from: number;
  readonly to: number;
}

/** The rows of one handler call, in offset order. */
export interface Chunk {
  readonly pieces: readonly ChunkPiece[];
  readonly rowCount: number;
  /** The offset of the chunk's last row: the handler's msgId and what persistOffset acknowledges. */
  readonly lastOffset: number;
}

export class DeliveryBuffer {
  private readonly queue: ReceivedRows[] = [];
  /** The next row of queue[0] to deliver; queue[0].start <= head < queue[0].batch.numRows. */
  private head = 0;
  private buffered = 0;

  constructor(readonly mode: DeliveryMode) {
    if (mode.kind === 'batch' && !(Number.isSafeInteger(mode.batchSize) && mode.batchSize > 0 && mode.throttleMs >= 0)) {
      throw new RangeError(`batch delivery needs batchSize >= 1 and throttleMs >= 0, got ${mode.batchSize} and ${mode.throttleMs}`);
    }
  }

  get bufferedRows(): number {
    return this.buffered;
  }

  add(rows: ReceivedRows): void {
    const count = rows.batch.numRows - rows.start;
    if (count <= 0) return;
    if (this.queue.length === 0) this.head = rows.start;
    this.queue.push(rows);
    this.buffered += count;
  }

  /** The next handler call's rows if one is due at `nowMs`, else undefined. */
  take(nowMs: number): Chunk | undefined {
    if (this.buffered === 0) return undefined;
    switch (this.mode.kind) {
      case 'row':
        return this.takeRows(1);
      case 'push':
        return this.takeRows(this.queue[0]!.batch.numRows - this.head);
      case 'batch': {
        if (this.buffered >= this.mode.batchSize) return this.takeRows(this.mode.batchSize);
        const due = this.dueAtMs();
        return due !== undefined && nowMs >= due ? this.takeRows(this.buffered) : undefined;
      }
    }
  }

  /** In batch mode with rows buffered: when the throttle makes them due. Undefined otherwise. */
  dueAtMs(): number | undefined {
    if (this.mode.kind !== 'batch' || this.buffered === 0) return undefined;
    return this.queue[0]!.receivedAtMs + this.mode.throttleMs;
  }

  clear(): void {
    this.queue.length = 0;
    this.head = 0;
    this.buffered = 0;
  }

  private takeRows(wanted: number): Chunk {
    const pieces: ChunkPiece[] = [];
    let taken = 0;
    while (taken < wanted && this.queue.length > 0) {
      const rows = this.queue[0]!;
      const to = Math.min(rows.batch.numRows, this.head + (wanted - taken));
      pieces.push({ rows, from: this.head, to });
      taken += to - this.head;
      if (to === rows.batch.numRows) {
        this.queue.shift();
        this.head = this.queue.length > 0 ? this.queue[0]!.start : 0;
      } else {
        this.head = to;
      }
    }
    this.buffered -= taken;
    const last = pieces[pieces.length - 1]!;
    return { pieces, rowCount: taken, lastOffset: last.rows.offsets[last.to - 1]! };
  }
}
