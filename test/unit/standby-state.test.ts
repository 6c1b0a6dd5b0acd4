import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  promoteStandby,
  readStandbyState,
  recoverStandbySwap,
  swapInRestore,
  writeStandbyState,
  type StandbyState,
} from '../../main/store/standby-state.js';
import { backupTag } from '../../main/sync/backup-ship.js';
import { restoreLagSeconds } from '../../main/engine/engine.js';
import { tempDir } from '../helpers.js';

const following: StandbyState = {
  role: 'standby',
  from: 'oci://127.0.0.1:5000/hearth',
  digest: null,
  backupCreatedAt: null,
  restoredAt: null,
  promotedAt: null,
};

describe('a standby data folder', () => {
  it('refuses promotion before a restore, and when it is no standby; a promotion is kept on disk', () => {
    const tmp = tempDir();
    try {
      const dir = join(tmp.dir, 'standby');
      assert.throws(() => promoteStandby(dir), { code: 'CONFLICT', message: /not a standby's data folder/ });
      writeStandbyState(dir, following);
      assert.throws(() => promoteStandby(dir), { code: 'CONFLICT', message: /restored no backup yet/ });
      assert.equal(readStandbyState(dir)?.role, 'standby');
      writeStandbyState(dir, { ...following, digest: `sha256:${'a'.repeat(64)}`, backupCreatedAt: '2026-12-02T10:00:00.000Z' });
      const promoted = promoteStandby(dir);
      assert.equal(promoted.role, 'writer');
      assert.notEqual(promoted.promotedAt, null);
      assert.deepEqual(readStandbyState(dir), promoted);
      // Promoting again changes nothing.
      assert.deepEqual(promoteStandby(dir), promoted);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a record that is not one (hostile: a crafted standby.json)', () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'standby.json'), JSON.stringify({ ...following, role: 'leader' }));
      assert.throws(() => readStandbyState(tmp.dir), { code: 'STORE_INCOMPATIBLE' });
      writeFileSync(join(tmp.dir, 'standby.json'), '{');
      assert.throws(() => readStandbyState(tmp.dir), { code: 'STORE_INCOMPATIBLE' });
    } finally {
      tmp.cleanup();
    }
  });

  it('swaps a restore in carrying the box’s own files, can undo it, and recovers from a crash between renames', () => {
    const tmp = tempDir();
    try {
      const dir = join(tmp.dir, 'data');
      mkdirSync(dir);
      writeFileSync(join(dir, 'hearth.db'), 'old');
      writeFileSync(join(dir, 'hearth.config.json'), '{}');
      writeStandbyState(dir, following);
      const restored = join(tmp.dir, '.data.restore-1');
      mkdirSync(restored);
      writeFileSync(join(restored, 'hearth.db'), 'new');
      const swap = swapInRestore(restored, dir);
      assert.equal(readFileSync(join(dir, 'hearth.db'), 'utf8'), 'new');
      assert.equal(readFileSync(join(dir, 'hearth.config.json'), 'utf8'), '{}');
      assert.deepEqual(readStandbyState(dir), following);
      swap.undo();
      assert.equal(readFileSync(join(dir, 'hearth.db'), 'utf8'), 'old');
      assert.deepEqual(
        readdirSync(tmp.dir).filter((f) => f.includes('previous')),
        [],
      );
      // Committed: the old folder is gone.
      const again = join(tmp.dir, '.data.restore-2');
      mkdirSync(again);
      writeFileSync(join(again, 'hearth.db'), 'newer');
      swapInRestore(again, dir).commit();
      assert.equal(readFileSync(join(dir, 'hearth.db'), 'utf8'), 'newer');
      assert.deepEqual(
        readdirSync(tmp.dir).filter((f) => f.startsWith('data.previous-')),
        [],
      );
      // A crash after the first rename: no data folder, one set aside; recovery puts it back.
      const aside = join(tmp.dir, 'data.previous-2026-12-02T10-00-00-000Z');
      renameSync(dir, aside);
      assert.equal(existsSync(dir), false);
      mkdirSync(join(tmp.dir, '.data.download-x'));
      recoverStandbySwap(dir);
      assert.equal(readFileSync(join(dir, 'hearth.db'), 'utf8'), 'newer');
      assert.equal(existsSync(aside), false);
      assert.equal(existsSync(join(tmp.dir, '.data.download-x')), false);
    } finally {
      tmp.cleanup();
    }
  });

  it('names each backup by its time, a valid OCI tag that sorts, and measures the restore lag', () => {
    assert.equal(backupTag('2026-12-02T23:33:06.123Z'), 'backup-20261202T233306123Z');
    assert.ok(backupTag('2026-12-02T23:33:06.123Z') < backupTag('2026-12-02T23:33:07.001Z'));
    assert.match(backupTag(new Date().toISOString()), /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/);
    assert.equal(restoreLagSeconds('2026-12-02T10:00:00.000Z', '2026-12-02T10:00:01.250Z'), 1.25);
    assert.equal(restoreLagSeconds(null, '2026-12-02T10:00:01.250Z'), null);
  });
});
