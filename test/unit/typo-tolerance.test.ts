import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv, type CsvReadResult } from '../../main/data/csv.js';
import { recordsToFrame } from '../../main/data/records.js';
import { profileColumn } from '../../main/stats/profile.js';
import { cellValue, type Column, type Frame } from '../../main/table/frame.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
const file = (content: string) => writeFile(tmp.dir, `t${n++}.csv`, content);
const column = (frame: Frame, name: string): Column => frame.columns.find((c) => c.name === name)!;

/** `rows` rows of id,amount: amount is 10 × the row number, except the rows in `bad` (row number → the cell's text). */
function amounts(rows: number, bad: Map<number, string>): string {
  const lines = ['id,amount'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${bad.get(i) ?? String(i * 10)}`);
  return `${lines.join('\n')}\n`;
}

describe('a numeric or date column survives a few unparsable cells', () => {
  it('one bad cell in 10,000 rows: the column stays integer, the cell is missing and reported at its line', async () => {
    // Row 4321 is on file line 4322 (the header is line 1).
    const read = await readCsv(file(amounts(10_000, new Map([[4321, '12O']]))));
    const amount = column(read.frame, 'amount');
    assert.equal(amount.type, 'integer');
    assert.equal(cellValue(amount, 4320), null);
    assert.equal(cellValue(amount, 4319), 43_200);
    const profile = profileColumn(amount, read.frame.rowCount);
    assert.equal(profile.missing, 1);
    assert.deepEqual(read.unparsable, { total: 1, cells: [{ column: 'amount', line: 4322, text: '12O' }] });
  });

  it('the first cell bad is a typo too, not the column turning to text', async () => {
    const read = await readCsv(file(amounts(1000, new Map([[1, 'ten']]))));
    assert.equal(column(read.frame, 'amount').type, 'integer');
    assert.deepEqual(read.unparsable?.cells, [{ column: 'amount', line: 2, text: 'ten' }]);
  });

  it('0.1% of 10,000 (10 cells, one per 1,000 rows) stays numeric; 0.2% (20) makes the column text, every cell as written', async () => {
    const tenth = new Map(Array.from({ length: 10 }, (_, k) => [(k + 1) * 1000, `bad${k}`] as const));
    const ok = await readCsv(file(amounts(10_000, tenth)));
    assert.equal(column(ok.frame, 'amount').kind, 'numeric');
    assert.equal(ok.unparsable?.total, 10);
    assert.deepEqual(
      ok.unparsable?.cells.map((c) => c.line),
      Array.from({ length: 10 }, (_, k) => (k + 1) * 1000 + 1),
    );
    const fifth = new Map(Array.from({ length: 20 }, (_, k) => [(k + 1) * 500, `bad${k}`] as const));
    const text = await readCsv(file(amounts(10_000, fifth)));
    const amount = column(text.frame, 'amount');
    assert.equal(amount.kind, 'string');
    assert.equal(cellValue(amount, 499), 'bad0');
    assert.equal(cellValue(amount, 498), '4990');
    assert.equal(text.unparsable, undefined);
  });

  it('where the typos sit does not matter: 10 in the first 100 rows of 10,000 stay numeric, 11 anywhere are text', async () => {
    const early = new Map(Array.from({ length: 10 }, (_, k) => [(k + 1) * 10, `bad${k}`] as const));
    const read = await readCsv(file(amounts(10_000, early)));
    assert.equal(column(read.frame, 'amount').type, 'integer');
    assert.equal(read.unparsable?.total, 10);
    assert.deepEqual(read.unparsable?.cells[0], { column: 'amount', line: 11, text: 'bad0' });
    // The same ten at the end of the file: the same answer.
    const late = new Map(Array.from({ length: 10 }, (_, k) => [9990 + k, `bad${k}`] as const));
    assert.equal(column((await readCsv(file(amounts(10_000, late)))).frame, 'amount').type, 'integer');
    // Eleven is past 0.1% of 10,000 wherever they are: text, every cell as written.
    for (const at of [(k: number) => k + 1, (k: number) => 9990 + k - 1]) {
      const eleven = new Map(Array.from({ length: 11 }, (_, k) => [at(k), `bad${k}`] as const));
      const text = await readCsv(file(amounts(10_000, eleven)));
      assert.equal(column(text.frame, 'amount').kind, 'string');
      assert.equal(text.unparsable, undefined);
    }
  });

  it('more than 5 bad cells in a small column, or one in a column of a few cells, leave it text', async () => {
    const six = await readCsv(file(amounts(3000, new Map([1, 2, 3, 4, 5, 6].map((k) => [k * 100, 'x'] as const)))));
    assert.equal(column(six.frame, 'amount').kind, 'string');
    const five = await readCsv(file(amounts(3000, new Map([1, 2, 3, 4, 5].map((k) => [k * 100, 'x'] as const)))));
    assert.equal(column(five.frame, 'amount').type, 'integer');
    assert.equal(five.unparsable?.total, 5);
    // One word among three numbers is text, as before: a typo needs 20 good cells beside it.
    const small = await readCsv(file('a\n1\nx\n2\n3\n'));
    assert.deepEqual(
      [0, 1, 2, 3].map((r) => cellValue(column(small.frame, 'a'), r)),
      ['1', 'x', '2', '3'],
    );
  });

  it('a date column with a typo stays a date column', async () => {
    const lines = ['day'];
    for (let i = 0; i < 400; i++)
      lines.push(i === 200 ? '2024-13-45' : new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
    const read = await readCsv(file(`${lines.join('\n')}\n`));
    assert.equal(column(read.frame, 'day').type, 'datetime');
    assert.deepEqual(read.unparsable?.cells, [{ column: 'day', line: 202, text: '2024-13-45' }]);
  });

  it('a column of a few words and missing cells is text, not an empty number column', async () => {
    const read = await readCsv(file('a,b\n1,\n2,note\n3,\n4,other\n'));
    assert.deepEqual(
      [0, 1, 2, 3].map((r) => cellValue(column(read.frame, 'b'), r)),
      [null, 'note', null, 'other'],
    );
    assert.equal(read.unparsable, undefined);
  });

  it('records (a query, JSON rows) report their unparsable cells by record number', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ x: i === 41 ? 'n.a.' : i }));
    const { frame, unparsable } = recordsToFrame(records);
    assert.equal(frame.columns[0]!.type, 'integer');
    assert.deepEqual(unparsable, { total: 1, cells: [{ column: 'x', line: 42, text: 'n.a.' }] });
  });

  it('read in parallel byte ranges, gives what one reader gives, strays and all', async () => {
    const dump = (read: CsvReadResult) => ({
      columns: read.frame.columns.map((c) => ({
        type: c.type,
        cells: Array.from({ length: read.frame.rowCount }, (_, r) => cellValue(c, r)),
      })),
      unparsable: read.unparsable,
    });
    // Strays near the cuts, a run of them at the start of a later range (a fresh reader there would count
    // differently), and a second file where the strays pass the limit only across ranges.
    const cases = [
      new Map([
        [2, 'a'],
        [15_000, 'b'],
        [15_001, 'c'],
        [15_002, 'd'],
        [30_000, 'e'],
      ]),
      new Map<number, string>([...[1, 2, 3, 4, 5].map((k): [number, string] => [k, `s${k}`]), [20_001, 'x']]),
      new Map([
        [10, 'q'],
        [11, 'q'],
        [12, 'q'],
        [20_001, 'r'],
        [20_002, 'r'],
        [20_003, 'r'],
      ]),
      // Nine strays at a later range's start: a fresh reader turns to text at its sixth, one reading on does not.
      new Map<number, string>([
        ...[1, 2, 3, 4, 5].map((k): [number, string] => [k, 'early']),
        ...Array.from({ length: 9 }, (_, k): [number, string] => [20_001 + k, 'late']),
      ]),
    ];
    for (const bad of cases) {
      const path = file(amounts(40_000, bad));
      const one = await readCsv(path, { threads: 1 });
      assert.equal(one.frame.columns[1]!.kind, 'numeric');
      for (const threads of [2, 3, 4]) {
        const many = await readCsv(path, { threads, parallelMinBytes: 1 });
        assert.deepEqual(dump(many), dump(one), `threads ${threads}`);
      }
    }
  });
});

describe('hostile unparsable cells', () => {
  it('a huge column of nothing but bad cells is text at once, holding no stray list', async () => {
    const lines = ['id,v', '1,1'];
    for (let i = 2; i <= 200_000; i++) lines.push(`${i},x${i}`);
    const read = await readCsv(file(`${lines.join('\n')}\n`));
    assert.equal(column(read.frame, 'v').type, 'text');
    assert.equal(read.unparsable, undefined);
  });

  it('the report lists the first 100 cells, each cut to 200 characters, and counts them all', async () => {
    const long = 'z'.repeat(100_000);
    // 200 bad cells in 200,000 rows (one per 1,000): within 0.1%.
    const bad = new Map(Array.from({ length: 200 }, (_, k) => [(k + 1) * 1000, k === 0 ? long : `b${k}`] as const));
    const read = await readCsv(file(amounts(200_000, bad)));
    assert.equal(column(read.frame, 'amount').kind, 'numeric');
    assert.equal(read.unparsable?.total, 200);
    assert.equal(read.unparsable?.cells.length, 100);
    assert.equal(read.unparsable?.cells[0]!.text, `${'z'.repeat(200)}… (100000 characters)`);
    assert.equal(read.unparsable?.cells[99]!.line, 100_001);
  });
});

describe('words and dates as written', () => {
  it('yes/no, Y/N stay their words (categorical); true/false alone stays boolean', async () => {
    const read = await readCsv(file('a,b,c\nyes,Y,true\nno,N,false\nyes,Y,true\n'));
    assert.deepEqual(
      read.frame.columns.map((c) => c.type),
      ['categorical', 'categorical', 'boolean'],
    );
    assert.deepEqual(
      [0, 1].map((r) => cellValue(column(read.frame, 'a'), r)),
      ['yes', 'no'],
    );
  });

  it("a date column's profile gives min and max as the file's dates, and its bins as dates", async () => {
    const days = ['2023-11-30', '2024-02-29', '2023-07-04', '2024-01-15', '', '2023-09-01'];
    const read = await readCsv(file(`day\n${days.join('\n')}\n`));
    const profile = profileColumn(column(read.frame, 'day'), read.frame.rowCount);
    assert.equal(profile.kind, 'date');
    assert.deepEqual(profile.dates, { min: '2023-07-04', max: '2024-02-29' });
    assert.equal(profile.min, Date.UTC(2023, 6, 4));
    assert.match(profile.histogram[0]!.label, /^2023-07-04 – 2023-\d\d-\d\d$/);
    assert.match(profile.histogram.at(-1)!.label, /^2024-\d\d-\d\d – 2024-02-29$/);
    // Instants keep their time of day.
    const times = await readCsv(file('t\n2024-01-01T10:30:00Z\n2024-01-02T08:00:00Z\n'));
    const timed = profileColumn(column(times.frame, 't'), 2);
    assert.deepEqual(timed.dates, { min: '2024-01-01T10:30:00.000Z', max: '2024-01-02T08:00:00.000Z' });
    // Other columns carry no date fields.
    assert.equal(profileColumn({ kind: 'numeric', name: 'x', type: 'number', values: Float64Array.of(1, 2) }, 2).kind, undefined);
  });
});
