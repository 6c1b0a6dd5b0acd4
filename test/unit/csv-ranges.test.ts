import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCsv, type CsvReadResult } from '../../main/data/csv.js';
import { cellValue } from '../../main/table/frame.js';
import { tempDir } from '../helpers.js';

/** Everything a read produced, cell by cell, to compare two reads exactly. */
function dump(read: CsvReadResult): unknown {
  return {
    columns: read.frame.columns.map((c) => ({
      name: c.name,
      type: c.type,
      dictionary: c.kind === 'string' ? c.dictionary : null,
      cells: Array.from({ length: read.frame.rowCount }, (_, r) => cellValue(c, r)),
    })),
    rowLines: [...read.rowLines],
    quarantined: read.quarantined,
  };
}

describe('reading a CSV in byte ranges on several threads', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

  /**
   * A file meant to break a naive split: quoted fields with line breaks and doubled quotes, columns whose type
   * changes part-way (numbers then text, text then numbers, booleans spelt two ways), missing cells, rows with the
   * wrong field count, a stray quote, invalid UTF-8 and CRLF line ends.
   */
  function nastyCsv(rows: number): Buffer {
    const parts: Buffer[] = [Buffer.from('id,amount,label,flag,note\n')];
    const flip = Math.floor(random() * rows);
    for (let i = 0; i < rows; i++) {
      const amount = i < flip ? pick(['1.50', '2', '', '-3e2', '7']) : pick(['1.50', 'n/a', '4', 'abc']);
      const label = i < flip ? pick(['x', 'y', 'z', '']) : pick(['10', '20.0', '30']);
      const flag = pick(['true', 'false', 'True', 'FALSE', '']);
      const note = pick(['plain', '"quoted, with comma"', '"two\nlines"', '"say ""hi"""', '', '"three\r\nline\nbreaks"']);
      let line = `${i},${amount},${label},${flag},${note}`;
      const accident = random();
      if (accident < 0.02) line = `${i},only,three`;
      else if (accident < 0.03) line = `${i},"unterminated,x,y,z`;
      else if (accident < 0.035) {
        parts.push(Buffer.from(`${i},1,`), Buffer.from([0xc3, 0x28]), Buffer.from(',true,bad utf8\n'));
        continue;
      }
      parts.push(Buffer.from(`${line}${random() < 0.1 ? '\r\n' : '\n'}`));
    }
    return Buffer.concat(parts);
  }

  it('gives exactly what one reader gives, whatever the cuts land on', async () => {
    for (let trial = 0; trial < 60; trial++) {
      const path = join(tmp.dir, `nasty-${trial}.csv`);
      writeFileSync(path, nastyCsv(20 + Math.floor(random() * 400)));
      const one = dump(await readCsv(path, { threads: 1 }));
      for (const threads of [2, 3, 4]) {
        const many = dump(await readCsv(path, { threads, parallelMinBytes: 0 }));
        assert.deepEqual(many, one, `trial ${trial}, ${threads} threads`);
      }
    }
  });

  it('reads clean numeric ranges in parallel and appends them', async () => {
    const lines = ['a,b,c'];
    for (let i = 0; i < 50_000; i++) lines.push(`${i},${(i * 0.25).toFixed(2)},${i % 3 === 0 ? 'x' : 'y'}`);
    const path = join(tmp.dir, 'clean.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const one = await readCsv(path, { threads: 1 });
    const many = await readCsv(path, { threads: 4, parallelMinBytes: 0 });
    assert.deepEqual(dump(many), dump(one));
    assert.deepEqual(
      many.frame.columns.map((c) => c.type),
      ['integer', 'number', 'categorical'],
    );
    assert.equal(many.rowLines[49_999], 50_001);
  });
});
