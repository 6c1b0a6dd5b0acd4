import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cellValue } from '../../main/table/frame.js';
import { readJsonRows } from '../../main/data/json-rows.js';
import { tempDir } from '../helpers.js';

describe('JSON and NDJSON rows', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('flattens nested objects, fills columns that appear late, and quarantines lines that are not objects', async () => {
    const path = join(tmp.dir, 'rows.ndjson');
    writeFileSync(
      path,
      [
        '{"a": 1, "b": {"c": "x"}, "n": 3}',
        '{"a": 2.5, "d": true, "n": 4.0}',
        '',
        '{"b": {"c": "y"}, "tags": [1, 2], "n": null}',
        '"just a string"',
        '{"a": oops}',
        '{"a": 1e21, "n": -7}\r',
      ].join('\n'),
    );
    const { frame, quarantined } = await readJsonRows(path, 'ndjson');
    const table = Object.fromEntries(
      frame.columns.map((c) => [`${c.name}:${c.type}`, Array.from({ length: frame.rowCount }, (_, r) => cellValue(c, r))]),
    );
    assert.deepEqual(table, {
      'a:number': [1, 2.5, null, 1e21],
      'b.c:categorical': ['x', null, 'y', null],
      // 4.0 is written 4 in JSON's shortest form, as a CSV cell "4" would be: still an integer column.
      'n:integer': [3, 4, null, -7],
      'd:boolean': [null, true, null, null],
      'tags:categorical': [null, null, '[1,2]', null],
    });
    assert.deepEqual(
      quarantined.map((q) => [q.line, q.reason.split(':')[0]]),
      [
        [5, 'not a JSON object'],
        [6, 'not JSON'],
      ],
    );
  });
});
