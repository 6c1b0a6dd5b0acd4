import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../main/contracts/client.js';
import { cellValue } from '../../main/table/frame.js';
import { tempDir, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Every table's rows and every blob file: what "the store is unchanged" means. The audit log is left out: a failed
 * call is recorded there on purpose.
 */
function snapshot(h: Harness): string {
  const tables = h.engine.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'audit_log' ORDER BY name")
    .all() as {
    name: string;
  }[];
  const rows = tables.map((t) => [t.name, h.engine.db.prepare(`SELECT * FROM "${t.name}" ORDER BY rowid`).all()]);
  const blobs = readdirSync(join(h.dataDir, 'blobs'), { recursive: true }).map(String).sort();
  return JSON.stringify({ rows, blobs });
}

describe('bad input', () => {
  let h: Harness;
  const files = tempDir();
  before(async () => {
    h = await startHarness('in-process');
    await h.client.call('datasets.ingest', { name: 'good', path: writeFile(files.dir, 'good.csv', 'a,b\n1,x\n2,y\n') });
  });
  after(async () => {
    await h.close();
    files.cleanup();
  });

  const rejected: [string, string | Buffer, string][] = [
    ['an empty file', '', 'empty'],
    ['a header-only file', 'a,b,c\r\n', 'header-only'],
    ['a binary file', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00]), 'binary'],
    ['a 50 MB single line', 'y'.repeat(50 * 1024 * 1024), 'header-too-long'],
    ['a file where no row parses', 'a,b\n1\n2\n3\n', 'all-quarantined'],
  ];
  for (const [label, content, reason] of rejected) {
    it(`rejects ${label} with INVALID_INPUT and leaves the store unchanged`, async () => {
      const before = snapshot(h);
      await assert.rejects(
        h.client.call('datasets.ingest', { name: 'good', path: writeFile(files.dir, 'bad.csv', content) }),
        (e: unknown) => {
          assert.ok(e instanceof ApiError);
          assert.equal(e.code, 'INVALID_INPUT');
          assert.equal((e.details as { reason: string }).reason, reason);
          return true;
        },
      );
      assert.equal(snapshot(h), before);
    });
  }

  it('loads the good rows of a damaged file and quarantines the rest with line numbers', async () => {
    const content = Buffer.concat([
      Buffer.from('id,name,score\n1,ann,3.5\n2,bob\n3,"carl ""c""",4\n4,"dee"x,5\n5,'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(',6\n6,"unterminated,7\n7,eve,8\n'),
    ]);
    const result = await h.client.call('datasets.ingest', {
      name: 'damaged',
      path: writeFile(files.dir, 'damaged.csv', content),
    });
    assert.equal(result.rows, 3);
    assert.equal(result.quarantined, 4);
    const q = await h.client.call('datasets.quarantine', { name: 'damaged' });
    assert.deepEqual(
      q.rows.map((r) => [r.line, r.reason]),
      [
        [3, 'expected 3 fields, found 2'],
        [5, 'unexpected character after a closing quote'],
        [6, 'invalid UTF-8'],
        [7, 'unterminated quoted field'],
      ],
    );
  });

  it("appends JSON rows in the dataset's schema, quarantining the rows its types cannot hold", async () => {
    const result = await h.client.call('datasets.append', {
      name: 'good',
      rows: [
        { a: 3, b: 'z' },
        { a: 'four', b: 'w' },
        { a: 5.5, b: 'v' },
        { a: null, b: 'u', c: 1 },
        { a: '7', b: 'x' },
      ],
    });
    assert.deepEqual(
      { version: result.version, rows: result.rows, appended: result.appended, quarantined: result.quarantined },
      { version: 2, rows: 5, appended: 3, quarantined: 2 },
    );
    assert.deepEqual(result.ignoredFields, ['c']);
    const q = await h.client.call('datasets.quarantine', { name: 'good', version: 2 });
    assert.deepEqual(
      q.rows.map((r) => [r.line, r.reason]),
      [
        [2, '"a": "four" is not an integer'],
        [3, '"a": 5.5 is not an integer'],
      ],
    );
    const { frame } = h.engine.datasets.loadFrame('good', 2);
    assert.deepEqual(
      Array.from({ length: frame.rowCount }, (_, r) => frame.columns.map((c) => cellValue(c, r))),
      [
        [1, 'x'],
        [2, 'y'],
        [3, 'z'],
        [null, 'u'],
        [7, 'x'],
      ],
    );
    // A nested value is refused whole by the API's schema, before anything is stored.
    const before = snapshot(h);
    await assert.rejects(h.client.call('datasets.append', { name: 'good', rows: [{ a: 1, b: { x: 1 } as never }] }), {
      code: 'VALIDATION_FAILED',
    });
    assert.equal(snapshot(h), before);
  });

  it('spools an upload encrypted and reads it exactly as the file, broken quotes and all', async () => {
    // Long enough that the reader resumes after the broken quote at an offset inside a cipher block.
    const lines = ['id,name,score'];
    for (let i = 0; i < 3000; i++) lines.push(i === 1234 ? `${i},"unterminated-${i},${i}` : `${i},secret-value-${i},${i / 7}`);
    const content = `${lines.join('\n')}\n`;
    const uploadId = await h.engine.saveUpload(Readable.from([Buffer.from(content)]));
    const spooled = readFileSync(join(h.dataDir, 'uploads', uploadId));
    assert.equal(spooled.length, Buffer.byteLength(content));
    assert.equal(spooled.includes('secret-value-'), false, 'the spool on disk is not readable');
    const viaUpload = await h.client.call('datasets.ingest', { name: 'spooled', uploadId, fileName: 'scores.csv' });
    const viaFile = await h.client.call('datasets.ingest', { name: 'direct', path: writeFile(files.dir, 'scores.csv', content) });
    assert.deepEqual(
      [viaUpload.rows, viaUpload.quarantined, viaUpload.contentHash],
      [viaFile.rows, viaFile.quarantined, viaFile.contentHash],
    );
    assert.equal(viaFile.quarantined, 1);
    assert.equal(existsSync(join(h.dataDir, 'uploads', uploadId)), false, 'the spool is gone after the ingest');
  });

  it('reads NDJSON and JSON, flattening nested objects to dotted names and quarantining lines that are not objects', async () => {
    const ndjson = [
      '{"id": 1, "customer": {"name": "Ann", "address": {"city": "Leeds"}}, "tags": ["a", "b"], "score": 3.5, "vip": true}',
      '{"id": 2, "customer": {"name": "Bob"}, "score": 4}',
      '[1, 2, 3]',
      '{"id": 3, broken',
      '',
      '{"id": 4, "customer": {"name": "Cy", "address": {"city": "York"}}, "score": null, "vip": false}',
    ].join('\n');
    const result = await h.client.call('datasets.ingest', {
      name: 'events',
      path: writeFile(files.dir, 'events.ndjson', `${ndjson}\n`),
    });
    assert.deepEqual([result.rows, result.quarantined], [3, 2]);
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      [
        'id:integer',
        'customer.name:categorical',
        'customer.address.city:categorical',
        'tags:categorical',
        'score:number',
        'vip:boolean',
      ],
    );
    const q = await h.client.call('datasets.quarantine', { name: 'events' });
    assert.deepEqual(
      q.rows.map((r) => [r.line, r.reason.split(':')[0]]),
      [
        [3, 'not a JSON object'],
        [4, 'not JSON'],
      ],
    );
    const { frame } = h.engine.datasets.loadFrame('events');
    assert.deepEqual(
      Array.from({ length: 3 }, (_, r) => frame.columns.map((c) => cellValue(c, r))),
      [
        [1, 'Ann', 'Leeds', '["a","b"]', 3.5, true],
        [2, 'Bob', null, null, 4, null],
        [4, 'Cy', 'York', null, null, false],
      ],
    );
    // A JSON array of objects reads to the same table as its NDJSON twin.
    const rows = ndjson
      .split('\n')
      .filter((l) => l.startsWith('{"id"') && !l.includes('broken'))
      .map((l) => JSON.parse(l) as unknown);
    const json = await h.client.call('datasets.ingest', {
      name: 'events-json',
      path: writeFile(files.dir, 'events.json', JSON.stringify(rows)),
    });
    assert.equal(json.contentHash, result.contentHash);
  });

  it('appends a file to the latest version with --append, quarantining malformed lines and values the schema refuses', async () => {
    await h.client.call('datasets.ingest', { name: 'scores', path: writeFile(files.dir, 's1.csv', 'a,b\n1,x\n2,y\n') });
    const appended = await h.client.call('datasets.ingest', {
      name: 'scores',
      path: writeFile(files.dir, 's2.csv', 'a,b\n3,z\nfour,w\n5\n'),
      append: true,
    });
    assert.deepEqual([appended.version, appended.rows, appended.quarantined], [2, 3, 2]);
    const q = await h.client.call('datasets.quarantine', { name: 'scores' });
    assert.deepEqual(q.rows.map((r) => r.reason).sort(), ['"a": "four" is not an integer', 'expected 2 fields, found 1']);
    const { frame } = h.engine.datasets.loadFrame('scores');
    assert.deepEqual(
      Array.from({ length: frame.rowCount }, (_, r) => frame.columns.map((c) => cellValue(c, r))),
      [
        [1, 'x'],
        [2, 'y'],
        [3, 'z'],
      ],
    );
  });
});
