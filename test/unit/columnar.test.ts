import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dictionary, Int32, Table, Utf8, Vector, makeData, tableToIPC, vectorFromArray } from 'apache-arrow';
import { arrowToFrame, frameToArrow } from '../../main/table/columnar.js';
import type { Frame } from '../../main/table/frame.js';
import { HearthError } from '../../main/contracts/errors.js';

describe('Arrow dataset blobs', () => {
  it('give back the frame stored: numbers, and categories with missing cells at every bit of the bitmap', () => {
    const n = 1003;
    const frame: Frame = {
      rowCount: n,
      columns: [
        {
          kind: 'numeric',
          name: 'x',
          type: 'number',
          values: Float64Array.from({ length: n }, (_, i) => (i % 9 === 0 ? Number.NaN : i / 7)),
        },
        // Missing at irregular rows (bits 0-7 of many bytes), and a column with nothing missing.
        {
          kind: 'string',
          name: 'c',
          type: 'categorical',
          codes: Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 || i % 8 === 5 ? -1 : i % 4)),
          dictionary: ['a', 'b', 'c', 'd'],
        },
        {
          kind: 'string',
          name: 'full',
          type: 'categorical',
          codes: Int32Array.from({ length: n }, (_, i) => i % 2),
          dictionary: ['no', 'yes'],
        },
      ],
    };
    assert.deepEqual(arrowToFrame(frameToArrow(frame)), frame);
  });

  it('read a file of several record batches, each with its own validity bitmap', () => {
    const levels = ['p', 'q', 'r'];
    const parts = [
      [null, 'p', 'q', null, 'r', 'r', 'p', null, 'q'],
      ['q', null, null, 'p', 'r', null, 'q', 'q', 'r', 'p', null],
    ];
    // One dictionary for both batches (the file format has no replacement dictionaries), each its own bitmap.
    const dictionary = vectorFromArray(levels, new Utf8());
    const type = new Dictionary(new Utf8(), new Int32(), 0, false);
    const chunks = parts.map((values) => {
      const bitmap = new Uint8Array(Math.ceil(values.length / 8));
      values.forEach((v, i) => {
        if (v !== null) bitmap[i >> 3]! |= 1 << (i & 7);
      });
      return makeData({
        type,
        length: values.length,
        nullCount: values.filter((v) => v === null).length,
        nullBitmap: bitmap,
        data: Int32Array.from(values, (v) => (v === null ? 0 : levels.indexOf(v))),
        dictionary,
      });
    });
    const column = new Vector(chunks);
    const table = new Table({ c: column });
    // Hearth's column type rides in the field's metadata.
    table.schema.fields[0]!.metadata.set('hearth.type', 'categorical');
    assert.equal(table.batches.length, 2);
    const frame = arrowToFrame(tableToIPC(table, 'file'));
    const decodedColumn = frame.columns[0]!;
    assert.equal(decodedColumn.kind, 'string');
    const decoded = Array.from(decodedColumn.codes, (code) => (code < 0 ? null : decodedColumn.dictionary[code]!));
    assert.deepEqual(decoded, parts.flat());
    assert.deepEqual(decodedColumn.dictionary, levels);
  });

  it('read an empty validity bitmap as nothing missing, and refuse a category code outside its dictionary', () => {
    const dictionary = vectorFromArray(['p', 'q'], new Utf8());
    const type = new Dictionary(new Utf8(), new Int32(), 0, false);
    const file = (codes: number[], nullCount: number, nullBitmap: Uint8Array) => {
      const table = new Table({
        c: new Vector([
          makeData({ type, length: codes.length, nullCount, nullBitmap, data: Int32Array.from(codes), dictionary }),
        ]),
      });
      table.schema.fields[0]!.metadata.set('hearth.type', 'categorical');
      return tableToIPC(table, 'file');
    };
    // A file claiming two missing cells with no bitmap to say which: Arrow reads every cell as present.
    const column = arrowToFrame(file([0, 1, 0, 1], 2, new Uint8Array(0))).columns[0]!;
    assert.equal(column.kind, 'string');
    assert.deepEqual([...column.codes], [0, 1, 0, 1]);
    assert.throws(
      () => arrowToFrame(file([0, 1, 5, 0], 0, new Uint8Array(0))),
      (e: unknown) => e instanceof HearthError && e.code === 'INTERNAL' && /outside its dictionary/.test(e.message),
    );
  });
});
