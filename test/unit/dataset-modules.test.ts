import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DatasetPolicies } from '../../main/data/dataset-pii.js';
import { DatasetRules } from '../../main/data/dataset-rules.js';
import { DatasetVersions } from '../../main/data/dataset-versions.js';
import { DatasetStore } from '../../main/data/datasets.js';
import { cellValue } from '../../main/table/frame.js';
import { DatasetIngest } from '../../main/data/ingest.js';
import { VersionWriter } from '../../main/data/version-writer.js';
import { BlobStore } from '../../main/store/blob-store.js';
import { openDatabase } from '../../main/store/database.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

// The dataset modules are built from the store alone (a database and a blob folder), no engine: each is given only
// what it uses, and the DatasetStore facade over the same store reads what they wrote.
describe('dataset modules', () => {
  const db = openDatabase(join(tmp.dir, 'store.db'));
  const blobs = new BlobStore(join(tmp.dir, 'blobs'));
  const key = () => Buffer.alloc(32, 7);
  const versions = new DatasetVersions(db, blobs);
  const pii = new DatasetPolicies(db, key);
  const rules = new DatasetRules(db, versions, pii);
  const ingest = new DatasetIngest(versions, pii, new VersionWriter(db, blobs, versions, rules, pii));
  after(() => db.close());

  it('ingest a file under a policy, enforce a quarantine rule on an append, and read it back through the facade', async () => {
    const path = writeFile(tmp.dir, 't.csv', 'id,email,amount\n1,a@x.org,5\n2,b@x.org,3\n3,c@x.org,7\n');
    const first = await ingest.ingestCsv('t', path, { pii: { email: { policy: 'hash', type: 'email' } } });
    assert.equal(first.version, 1);
    assert.equal(first.rows, 3);
    assert.equal(pii.policies('t')['email']?.policy, 'hash');
    const stored = versions.loadFrame('t').frame;
    const email = stored.columns.find((c) => c.name === 'email')!;
    assert.notEqual(cellValue(email, 0), 'a@x.org');

    rules.setRules('t', [{ kind: 'range', column: 'amount', min: 0, max: null, severity: 'quarantine' }]);
    const appended = await ingest.appendRecords(
      't',
      [
        { id: 4, email: 'd@x.org', amount: -1 },
        { id: 5, email: 'e@x.org', amount: 2 },
      ],
      'api',
    );
    assert.equal(appended.version, 2);
    assert.equal(appended.appended, 1);
    assert.equal(appended.quarantined, 1);
    const setAside = versions.quarantine('t', 2, 0, 10);
    assert.equal(setAside.total, 1);
    assert.ok(!setAside.rows[0]!.raw.includes('d@x.org'), 'the set-aside row holds the protected email, not the raw one');

    const facade = new DatasetStore(db, blobs, key);
    assert.equal(facade.loadFrame('t').frame.rowCount, 4);
    assert.deepEqual(
      facade.versions('t').map((v) => v.version),
      [2, 1],
    );
    assert.equal((await facade.checkRules('t')).passed, true);
  });
});
