// WalFiles on the real disk: Node's fs on the libuv thread pool, so a 1 MiB write or an fdatasync
// never blocks the event loop.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Done, WalFile, WalFiles, ioError } from './wal_files.js';

class NodeWalFile implements WalFile {
  constructor(private readonly fd: number) {}

  write(chunks: readonly Uint8Array[], position: number, done: Done): void {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    this.writeFrom(chunks as Uint8Array[], position, total, done);
  }

  // writev may stop short (a full disk mid-write); retry the rest so the OS names the error.
  private writeFrom(chunks: Uint8Array[], position: number, remaining: number, done: Done): void {
    if (remaining === 0) return done();
    fs.writev(this.fd, chunks, position, (error, written) => {
      if (error) return done(error);
      if (written === 0) return done(ioError('EIO', 'write made no progress'));
      this.writeFrom(skipBytes(chunks, written), position + written, remaining - written, done);
    });
  }

  datasync(done: Done): void {
    fs.fdatasync(this.fd, (error) => done(error ?? undefined));
  }

  truncate(sizeBytes: number, done: Done): void {
    fs.ftruncate(this.fd, sizeBytes, (error) => done(error ?? undefined));
  }

  close(done: Done): void {
    fs.close(this.fd, (error) => done(error ?? undefined));
  }
}

function skipBytes(chunks: Uint8Array[], bytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = bytes;
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

export class NodeWalFiles implements WalFiles {
  constructor(readonly location: string) {
    fs.mkdirSync(location, { recursive: true });
  }

  list(): string[] {
    return fs.readdirSync(this.location);
  }

  read(name: string): Uint8Array {
    return fs.readFileSync(path.join(this.location, name));
  }

  truncateSync(name: string, sizeBytes: number): void {
    const fd = fs.openSync(path.join(this.location, name), 'r+');
    try {
      fs.ftruncateSync(fd, sizeBytes);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  create(name: string, done: (error: Error | undefined, file?: WalFile) => void): void {
    fs.open(path.join(this.location, name), 'wx', (error, fd) => {
      if (error) return done(error);
      this.syncDirectory((dirError) => (dirError ? done(dirError) : done(undefined, new NodeWalFile(fd))));
    });
  }

  open(name: string, done: (error: Error | undefined, file?: WalFile) => void): void {
    fs.open(path.join(this.location, name), 'r+', (error, fd) => (error ? done(error) : done(undefined, new NodeWalFile(fd))));
  }

  remove(name: string, done: Done): void {
    fs.unlink(path.join(this.location, name), (error) => (error ? done(error) : this.syncDirectory(done)));
  }

  // A new or deleted file is durable only once its directory is.
  private syncDirectory(done: Done): void {
    fs.open(this.location, 'r', (error, fd) => {
      if (error) return done(error);
      fs.fsync(fd, (syncError) => fs.close(fd, () => done(syncError ?? undefined)));
    });
  }
}
