import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseIsoDate, parseNumberBytes } from '../../main/table/column-builder.js';
import { fitBins } from '../../main/models/binning.js';
import { readCsv } from '../../main/data/csv.js';
import { cellValue, type Frame } from '../../main/table/frame.js';
import { HearthError } from '../../main/contracts/errors.js';
import { seededRandom } from '../../main/stats/random.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
const file = (content: string | Buffer): string => writeFile(tmp.dir, `f${n++}.csv`, content);

function column(frame: Frame, name: string) {
  const c = frame.columns.find((x) => x.name === name);
  assert.ok(c, `column ${name}`);
  return c;
}

async function rejects(path: string, reason: string): Promise<void> {
  await assert.rejects(readCsv(path), (e: unknown) => {
    assert.ok(e instanceof HearthError);
    assert.equal(e.code, 'INVALID_INPUT');
    assert.equal((e.details as { reason: string }).reason, reason);
    return true;
  });
}

describe('CSV reader', () => {
  it('infers every column type and reads missing cells', async () => {
    const { frame, quarantined } = await readCsv(
      file(
        'id,price,ok,when,colour,note\n1,2.5,true,2024-01-05,red,alpha\n2,,false,2024-02-29T10:30:00Z,blue,beta\n3,1e3,yes,,red,gamma\n4,NA,no,2024-03-01,,delta\n',
      ),
    );
    assert.equal(quarantined.length, 0);
    assert.equal(frame.rowCount, 4);
    assert.deepEqual(
      frame.columns.map((c) => c.type),
      ['integer', 'number', 'categorical', 'datetime', 'categorical', 'categorical'],
    );
    assert.equal(cellValue(column(frame, 'price'), 2), 1000);
    assert.equal(cellValue(column(frame, 'price'), 1), null);
    assert.equal(cellValue(column(frame, 'price'), 3), null);
    // true/false beside yes/no: the words as written, not booleans (issue 19, item 6).
    assert.deepEqual(
      [0, 1, 2, 3].map((r) => cellValue(column(frame, 'ok'), r)),
      ['true', 'false', 'yes', 'no'],
    );
    assert.equal(cellValue(column(frame, 'when'), 1), '2024-02-29T10:30:00.000Z');
    assert.equal(cellValue(column(frame, 'colour'), 3), null);
  });

  it('tells categorical from free text by repetition', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => `${i % 3 === 0 ? 'a' : 'b'},sentence number ${i}`);
    const { frame } = await readCsv(file(`level,text\n${rows.join('\n')}\n`));
    assert.equal(column(frame, 'level').type, 'categorical');
    assert.equal(column(frame, 'text').type, 'text');
  });

  it('keeps a column of thousands of repeated codes categorical, so models use it', async () => {
    // 1,100 airport codes, three rows each: levels, not text (at most 1,000 levels were categorical before, and a text
    // column is left out of every model). 1,100 values in 1,500 rows are mostly one-offs: text.
    const rows = Array.from(
      { length: 3_300 },
      (_, i) => `AP${String(i % 1_100).padStart(4, '0')},${i < 1_500 ? `note ${i % 1_100}` : ''}`,
    );
    const { frame } = await readCsv(file(`airport,note\n${rows.join('\n')}\n`));
    assert.equal(column(frame, 'airport').type, 'categorical');
    assert.equal(column(frame, 'note').type, 'text');
    const { features, ignored } = fitBins(
      frame,
      Int32Array.from({ length: frame.rowCount }, (_, i) => i),
      'none',
    );
    assert.deepEqual(
      features.map((f) => [f.name, f.kind]),
      [['airport', 'categorical']],
    );
    assert.deepEqual(ignored, [{ name: 'note', reason: 'free text (too many distinct values to split on)' }]);
  });

  it('widens integer to number and number to string as values demand', async () => {
    const { frame } = await readCsv(file('a,b\n1,1\n2,x\n3.5,2\n'));
    assert.equal(column(frame, 'a').type, 'number');
    assert.equal(cellValue(column(frame, 'a'), 2), 3.5);
    assert.equal(column(frame, 'b').kind, 'string');
    assert.deepEqual(
      [0, 1, 2].map((r) => cellValue(column(frame, 'b'), r)),
      ['1', 'x', '2'],
    );
  });

  it('detects the delimiter, a UTF-8 BOM and CRLF line ends', async () => {
    const semicolon = await readCsv(file('\uFEFFa;b;c\r\n1;"x;y";3\r\n4;z;6\r\n'));
    assert.equal(semicolon.dialect.delimiter, ';');
    assert.equal(semicolon.dialect.bom, true);
    assert.equal(semicolon.dialect.lineEnding, 'CRLF');
    assert.deepEqual(
      semicolon.frame.columns.map((c) => c.name),
      ['a', 'b', 'c'],
    );
    assert.equal(cellValue(column(semicolon.frame, 'b'), 0), 'x;y');
    assert.equal(cellValue(column(semicolon.frame, 'c'), 1), 6);
    const tabs = await readCsv(file('a\tb\n1\t2\n'));
    assert.equal(tabs.dialect.delimiter, '\t');
  });

  it('reads quoted fields with escaped quotes and line breaks, counting lines right', async () => {
    const { frame, quarantined } = await readCsv(file('id,text\n1,"say ""hi"""\n2,"two\nlines"\n3,x,extra\n4,ok\n'));
    assert.equal(frame.rowCount, 3);
    assert.equal(cellValue(column(frame, 'text'), 0), 'say "hi"');
    assert.equal(cellValue(column(frame, 'text'), 1), 'two\nlines');
    assert.deepEqual(
      quarantined.map((q) => [q.line, q.reason]),
      [[5, 'expected 2 fields, found 3']],
    );
  });

  it('quarantines ragged rows with their line numbers and keeps the rest', async () => {
    const { frame, quarantined } = await readCsv(file('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n'));
    assert.equal(frame.rowCount, 2);
    assert.deepEqual(
      quarantined.map((q) => ({ line: q.line, reason: q.reason, raw: q.raw })),
      [
        { line: 3, reason: 'expected 3 fields, found 2', raw: '4,5\n' },
        { line: 4, reason: 'expected 3 fields, found 4', raw: '6,7,8,9\n' },
      ],
    );
  });

  it('quarantines broken quoting without losing the following rows', async () => {
    const { frame, quarantined } = await readCsv(file('a,b\n1,"ok"\n2,"bad"x\n3,"never closed\n4,fine\n5,"also fine"\n'));
    assert.deepEqual(
      quarantined.map((q) => [q.line, q.reason]),
      [
        [3, 'unexpected character after a closing quote'],
        [4, 'unterminated quoted field'],
      ],
    );
    assert.deepEqual(
      [0, 1, 2].map((r) => cellValue(column(frame, 'a'), r)),
      [1, 4, 5],
    );
    assert.equal(cellValue(column(frame, 'b'), 2), 'also fine');
  });

  it('quarantines rows that are not valid UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('a,b\n1,caf\xc3\xa9\n2,', 'latin1'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\n3,ok\n'),
    ]);
    const { frame, quarantined } = await readCsv(file(bytes));
    assert.equal(frame.rowCount, 2);
    assert.equal(cellValue(column(frame, 'b'), 0), 'café');
    assert.deepEqual(
      quarantined.map((q) => [q.line, q.reason]),
      [[3, 'invalid UTF-8']],
    );
  });

  it('rejects an empty file, a header-only file and a binary file with coded errors', async () => {
    await rejects(file(''), 'empty');
    await rejects(file('a,b,c\n'), 'header-only');
    await rejects(file(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d])), 'binary');
  });

  it('rejects a file whose only line is 50 MB, and quarantines a 50 MB data row', async () => {
    const huge = 'x'.repeat(50 * 1024 * 1024);
    await rejects(file(huge), 'header-too-long');
    const { frame, quarantined } = await readCsv(file(`a,b\n1,2\n${huge},3\n4,5\n`));
    assert.equal(frame.rowCount, 2);
    assert.equal(quarantined.length, 1);
    assert.equal(quarantined[0]!.line, 3);
    assert.match(quarantined[0]!.reason, /record longer than/);
    assert.ok(quarantined[0]!.raw.length <= 1001);
  });

  it('rejects a file where every row is malformed', async () => {
    await rejects(file('a,b\n1\n2\n'), 'all-quarantined');
  });

  it('names blank and duplicate headers', async () => {
    const { frame } = await readCsv(file('a,,a\n1,2,3\n'));
    assert.deepEqual(
      frame.columns.map((c) => c.name),
      ['a', 'column_2', 'a_2'],
    );
  });

  it('parses numbers exactly as JavaScript does', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 20000; i++) {
      const v = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      for (const text of [String(v), v.toPrecision(6), v.toExponential(3), v.toFixed(2)]) {
        const bytes = Buffer.from(text);
        assert.equal(parseNumberBytes(bytes, 0, bytes.length), Number(text), text);
      }
    }
    for (const bad of ['', '-', '1e', '1.2.3', 'abc', '1,5', '0x10']) {
      const bytes = Buffer.from(bad);
      assert.ok(Number.isNaN(parseNumberBytes(bytes, 0, bytes.length)), bad);
    }
  });

  it('parses ISO dates and refuses impossible ones', () => {
    assert.equal(parseIsoDate('2024-02-29'), Date.UTC(2024, 1, 29));
    assert.equal(parseIsoDate('2024-01-01T12:00:00+02:00'), Date.UTC(2024, 0, 1, 10));
    assert.ok(Number.isNaN(parseIsoDate('2023-02-29')));
    assert.ok(Number.isNaN(parseIsoDate('2024-13-01')));
  });

  it('reads the same table whatever the chunk boundaries', async () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => `${i},"v ""${i % 7}""",${(i * 0.37).toFixed(3)}`);
    const { frame, quarantined } = await readCsv(file(`id,label,x\n${rows.join('\n')}\n`));
    assert.equal(quarantined.length, 0);
    assert.equal(frame.rowCount, 300_000);
    assert.equal(cellValue(column(frame, 'id'), 299_999), 299_999);
    assert.equal(cellValue(column(frame, 'label'), 123_456), `v "${123_456 % 7}"`);
    assert.equal(cellValue(column(frame, 'x'), 200_001), Number((200_001 * 0.37).toFixed(3)));
  });
});
