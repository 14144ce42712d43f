// The operator's path through a damaged log: a start refuses it and names the frame; wal-check
// says the same; wal-repair cuts it there, quarantines the rest, and the log opens again.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { WalCorruptionError } from '../../../storage/wal/errors.js';
import { NodeWalFiles } from '../../../storage/wal/node_wal_files.js';
import { segmentName } from '../../../storage/wal/segments.js';
import { checkWal, repairWal } from '../../../storage/wal/wal_repair.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';
import { closeWal, entryKeys, entryRecord, syncOnce } from './wal_test_support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('wal-check and wal-repair', () => {
  it('find the damaged frame, cut the log there and keep what was cut in quarantine', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-wal-repair-'));
    dirs.push(dir);
    const { wal } = WriteAheadLog.open({ files: new NodeWalFiles(dir), maxSegmentBytes: 1000 });
    for (let i = 1; i <= 30; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    await closeWal(wal);
    const damaged = path.join(dir, segmentName(2));
    const bytes = fs.readFileSync(damaged);
    bytes[bytes.length - 200]! ^= 0xff;
    fs.writeFileSync(damaged, bytes);

    let corruption: WalCorruptionError | undefined;
    try {
      checkWal(dir);
    } catch (e) {
      corruption = e as WalCorruptionError;
    }
    assert.ok(corruption instanceof WalCorruptionError, 'wal-check reports the damage');
    assert.equal(corruption.segment, segmentName(2));
    const segmentsBefore = fs.readdirSync(dir).filter((n) => n.startsWith('wal-')).length;

    const result = repairWal(dir, corruption.segment, corruption.offset);
    assert.equal(result.movedFiles.length, 1 + segmentsBefore - 2, 'the tail of segment 2 and every later segment');
    for (const name of result.movedFiles) assert.ok(fs.existsSync(path.join(result.quarantineDir, name)));

    const report = checkWal(dir);
    assert.equal(report.segments, 2);
    const { recovery } = WriteAheadLog.open({ files: new NodeWalFiles(dir), maxSegmentBytes: 1000 });
    const keys = entryKeys(recovery.records);
    assert.ok(keys.length > 0 && keys.length < 30);
    assert.deepEqual(keys, keys.map((_, i) => `1:${i + 1}`), 'a clean prefix of the log');
  });
});
