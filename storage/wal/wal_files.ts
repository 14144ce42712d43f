// The file operations the write-ahead log needs, as an interface: the node implementation talks to
// the disk; the memory implementation (tests, simulator) loses unsynced bytes on a crash and can
// run out of space or fail a sync on demand. Reads happen once, at startup, and are synchronous.

export type Done = (error?: Error) => void;

export interface WalFile {
  /** Writes all chunks at `position`, in order. An error means some prefix may have been written. */
  write(chunks: readonly Uint8Array[], position: number, done: Done): void;
  /** fdatasync: everything written so far survives power loss once done() is called without error. */
  datasync(done: Done): void;
  truncate(sizeBytes: number, done: Done): void;
  close(done: Done): void;
}

export interface WalFiles {
  /** Where the log lives, for messages. */
  readonly location: string;
  /** Names of the files in the log directory. */
  list(): string[];
  read(name: string): Uint8Array;
  truncateSync(name: string, sizeBytes: number): void;
  /** Creates a new, empty file and makes its directory entry durable before done(). */
  create(name: string, done: (error: Error | undefined, file?: WalFile) => void): void;
  /** Opens an existing file for writing at positions the caller chooses. */
  open(name: string, done: (error: Error | undefined, file?: WalFile) => void): void;
  /** Deletes a file and makes the deletion durable. */
  remove(name: string, done: Done): void;
}

/** An error carrying an errno-style code, as Node's fs gives. */
export function ioError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
