import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '../../main/contracts/errors.js';
import { compileExpression } from '../../main/data/expression.js';
import { cellValue, type Frame } from '../../main/table/frame.js';
import { parsePipeline } from '../../main/data/pipeline.js';
import {
  castColumns,
  columnFromValues,
  dedupRows,
  deriveColumn,
  filterRows,
  joinFrames,
  newRowsSince,
  rowKeyer,
  sampleRows,
  unionFrames,
} from '../../main/data/transforms.js';

const day = (iso: string) => Date.parse(iso);

function frame(columns: Record<string, [Parameters<typeof columnFromValues>[1], (string | number | boolean | null)[]]>): Frame {
  const entries = Object.entries(columns);
  return {
    rowCount: entries[0]![1][1].length,
    columns: entries.map(([name, [type, values]]) => columnFromValues(name, type, values)),
  };
}

/** Every row as a plain object, for comparisons. */
function rows(f: Frame): Record<string, unknown>[] {
  return Array.from({ length: f.rowCount }, (_, r) => Object.fromEntries(f.columns.map((c) => [c.name, cellValue(c, r)])));
}

const orders = frame({
  id: ['integer', [1, 2, 3, 4]],
  price: ['number', [10, 2.5, null, 40]],
  qty: ['integer', [2, 4, 1, 0]],
  status: ['categorical', ['paid', 'refunded', 'paid', null]],
  placed: ['datetime', [day('2026-01-31T10:00:00Z'), day('2026-02-01T00:00:00Z'), null, day('2026-03-15T23:30:00Z')]],
  vip: ['boolean', [true, false, null, true]],
});

function evaluate(source: string, f: Frame = orders): unknown[] {
  const compiled = compileExpression(source, f);
  return Array.from({ length: f.rowCount }, (_, r) => compiled.at(r));
}

describe('the expression language', () => {
  it('computes arithmetic with precedence, and missing values propagate as in SQL', () => {
    assert.deepEqual(evaluate('price * qty + 1'), [21, 11, null, 1]);
    // Left to right within a level: (2 * (qty - 1)) % 3, and % keeps the dividend's sign as in C and SQL.
    assert.deepEqual(evaluate('-price + 2 * (qty - 1) % 3'), [-8, -2.5, null, -42]);
    // Division by zero is missing, not Infinity.
    assert.deepEqual(evaluate('price / qty'), [5, 0.625, null, null]);
  });

  it('compares, tests membership and null-ness, with three-valued and/or', () => {
    assert.deepEqual(evaluate("status = 'paid'"), [true, false, true, null]);
    assert.deepEqual(evaluate("status in ('paid', 'refunded')"), [true, true, true, null]);
    assert.deepEqual(evaluate("status not in ('paid')"), [false, true, false, null]);
    assert.deepEqual(evaluate('price is null'), [false, false, true, false]);
    assert.deepEqual(evaluate('status is not null'), [true, true, true, false]);
    // false and missing is false; true or missing is true; the rest stays missing.
    assert.deepEqual(evaluate('vip and price > 5'), [true, false, null, true]);
    assert.deepEqual(evaluate('vip or price > 5'), [true, false, null, true]);
    assert.deepEqual(evaluate('not vip'), [false, true, null, false]);
    assert.deepEqual(evaluate('price > 5 or qty = 1'), [true, false, true, true]);
  });

  it('calls functions on numbers, text and datetimes', () => {
    assert.deepEqual(evaluate('round(price / 3, 2)'), [3.33, 0.83, null, 13.33]);
    assert.deepEqual(evaluate("if(vip, 'gold', 'standard')"), ['gold', 'standard', 'standard', 'gold']);
    assert.deepEqual(evaluate('coalesce(price, 0) + 1'), [11, 3.5, 1, 41]);
    assert.deepEqual(evaluate("concat(upper(status), '-', id)"), ['PAID-1', 'REFUNDED-2', 'PAID-3', '-4']);
    assert.deepEqual(evaluate('substr(status, 2, 3)'), ['aid', 'efu', 'aid', null]);
    assert.deepEqual(evaluate('length(status)'), [4, 8, 4, null]);
    assert.deepEqual(evaluate('year(placed) * 100 + month(placed)'), [202601, 202602, null, 202603]);
    // 2026-01-31 is a Saturday (6), 2026-02-01 a Sunday (7), 2026-03-15 a Sunday.
    assert.deepEqual(evaluate('weekday(placed)'), [6, 7, null, 7]);
    assert.deepEqual(evaluate("days_between(date('2026-01-01'), placed)"), [30 + 10 / 24, 31, null, 73 + 23.5 / 24]);
    assert.deepEqual(evaluate("placed + 1 > date('2026-02-01')"), [true, true, null, true]);
    assert.deepEqual(evaluate("number('12.5') + `qty`"), [14.5, 16.5, 13.5, 12.5]);
  });

  it('refuses mistakes before reading a row, naming the place', () => {
    const code = (source: string) => {
      try {
        compileExpression(source, orders);
        return 'compiled';
      } catch (error) {
        assert.ok(error instanceof HearthError);
        return `${error.code} ${error.message}`;
      }
    };
    assert.match(code('price + status'), /VALIDATION_FAILED .*"\+" expects numbers, not number and string.*character 7/);
    assert.match(code('prise * 2'), /no column "prise"/);
    assert.match(code('price *'), /expected a value before the end/);
    assert.match(code('eval(price)'), /no function "eval"/);
    assert.match(code("status = 'paid"), /unterminated string/);
    assert.match(code('price > 1 and qty'), /"and" joins conditions, not number/);
    assert.match(code("round('x')"), /round\(\) expects numbers/);
    assert.match(code('price; drop'), /unexpected ";"/);
    // Nothing reaches JavaScript: a property access or a global is just an unknown column.
    assert.match(code('constructor.constructor'), /no column "constructor.constructor"/);
    assert.match(code('process'), /no column "process"/);
  });
});

describe('pipeline transforms', () => {
  it('derives and filters with the expression language', () => {
    const derived = deriveColumn(orders, 'total', 'price * qty');
    assert.deepEqual(
      rows(derived).map((r) => r.total),
      [20, 10, null, 0],
    );
    assert.equal(derived.columns.find((c) => c.name === 'total')!.type, 'number');
    const tier = deriveColumn(orders, 'tier', "if(price >= 10, 'high', 'low')");
    assert.equal(tier.columns.find((c) => c.name === 'tier')!.type, 'categorical');
    // A missing condition does not pass the filter.
    assert.deepEqual(
      rows(filterRows(orders, 'price > 2')).map((r) => r.id),
      [1, 2, 4],
    );
    assert.throws(() => filterRows(orders, 'price * 2'), /needs a condition, not a number/);
  });

  it('casts, setting aside the rows whose value does not convert', () => {
    const raw = frame({
      id: ['integer', [1, 2, 3, 4]],
      amount: ['text', ['12', '3.5', 'n.a.', '']],
      flag: ['text', ['yes', 'no', '1', 'maybe']],
    });
    const { frame: cast, problems } = castColumns(raw, { amount: 'number', flag: 'boolean' });
    assert.deepEqual(rows(cast), [
      { id: 1, amount: 12, flag: true },
      { id: 2, amount: 3.5, flag: false },
    ]);
    assert.deepEqual(
      problems.map((p) => [p.row, p.reason]),
      [
        [2, 'cast: "amount" value "n.a." is not a number'],
        [3, 'cast: "flag" value "maybe" is not a boolean'],
      ],
    );
    const integers = castColumns(frame({ x: ['number', [1, 2.5]] }), { x: 'integer' });
    assert.deepEqual([integers.frame.rowCount, integers.problems[0]!.reason], [1, 'cast: "x" value 2.5 is not an integer']);
  });

  it('joins inner and left on keys, one row per match, missing keys matching nothing', () => {
    const customers = frame({
      cid: ['integer', [10, 11, 11, 13]],
      region: ['categorical', ['north', 'south', 'east', 'west']],
      price: ['number', [1, 2, 3, 4]],
    });
    const left = frame({ id: ['integer', [1, 2, 3, 4]], cid: ['integer', [10, 11, 12, null]], price: ['number', [5, 6, 7, 8]] });
    const inner = joinFrames(left, customers, ['cid'], 'inner', '_c');
    assert.deepEqual(rows(inner), [
      { id: 1, cid: 10, price: 5, region: 'north', price_c: 1 },
      { id: 2, cid: 11, price: 6, region: 'south', price_c: 2 },
      { id: 2, cid: 11, price: 6, region: 'east', price_c: 3 },
    ]);
    const outer = joinFrames(left, customers, ['cid'], 'left', '_c');
    assert.deepEqual(
      rows(outer).map((r) => [r.id, r.region]),
      [
        [1, 'north'],
        [2, 'south'],
        [2, 'east'],
        [3, null],
        [4, null],
      ],
    );
  });

  it('unions with the columns aligned by name and types widened', () => {
    const a = frame({ id: ['integer', [1, 2]], x: ['integer', [5, 6]], tag: ['categorical', ['a', 'b']] });
    const b = frame({ x: ['number', [0.5]], id: ['integer', [3]], extra: ['text', ['new']], tag: ['integer', [7]] });
    const u = unionFrames([a, b]);
    assert.deepEqual(
      u.columns.map((c) => `${c.name}:${c.type}`),
      ['id:integer', 'x:number', 'tag:text', 'extra:text'],
    );
    assert.deepEqual(rows(u), [
      { id: 1, x: 5, tag: 'a', extra: null },
      { id: 2, x: 6, tag: 'b', extra: null },
      { id: 3, x: 0.5, tag: '7', extra: 'new' },
    ]);
  });

  it('de-duplicates by key (first wins) and against keys already written', () => {
    const f = frame({ k: ['integer', [1, 2, 1, 3, 2]], v: ['categorical', ['a', 'b', 'c', 'd', 'e']] });
    assert.deepEqual(
      rows(dedupRows(f, ['k'])).map((r) => r.v),
      ['a', 'b', 'd'],
    );
    // Keys an earlier run wrote (a number column there: 3 and 3.0 are the same key).
    const written = frame({ k: ['number', [3]] });
    assert.deepEqual(
      rows(dedupRows(f, ['k'], new Set([rowKeyer(written, ['k'])(0)]))).map((r) => r.v),
      ['a', 'b'],
    );
    // Whole rows when no key is given.
    const twice = frame({ a: ['integer', [1, 1, 1]], b: ['integer', [2, 2, 3]] });
    assert.equal(dedupRows(twice, undefined).rowCount, 2);
  });

  it('samples the same rows whatever the batch they arrive in', () => {
    const n = 10_000;
    const f = frame({ id: ['integer', Array.from({ length: n }, (_, i) => i)] });
    const whole = rows(sampleRows(f, 0.3, 7)).map((r) => r.id as number);
    // Close to the fraction, and two halves sampled apart pick exactly the same rows.
    assert.ok(Math.abs(whole.length / n - 0.3) < 0.02, `sampled ${whole.length}`);
    const firstHalf = frame({ id: ['integer', Array.from({ length: n / 2 }, (_, i) => i)] });
    const secondHalf = frame({ id: ['integer', Array.from({ length: n / 2 }, (_, i) => i + n / 2)] });
    const apart = [...rows(sampleRows(firstHalf, 0.3, 7)), ...rows(sampleRows(secondHalf, 0.3, 7))].map((r) => r.id as number);
    assert.deepEqual(apart, whole);
    assert.notDeepEqual(
      rows(sampleRows(f, 0.3, 8)).map((r) => r.id),
      whole,
    );
  });

  it('finds the rows new since a consumed version, as a multiset', () => {
    const v1 = frame({ id: ['integer', [1, 2, 2]], x: ['number', [1, 2, 2]] });
    const v2 = frame({ id: ['integer', [2, 1, 2, 2, 4]], x: ['number', [2, 1, 2, 2, 4]] });
    const { rows: fresh, removed } = newRowsSince(v2, v1);
    assert.deepEqual([...fresh], [3, 4]);
    assert.equal(removed, 0);
    const rewritten = frame({ id: ['integer', [1, 5]], x: ['number', [1, 5]] });
    const r = newRowsSince(rewritten, v1);
    assert.deepEqual([[...r.rows], r.removed], [[1], 2]);
  });
});

describe('pipeline files', () => {
  const base = `name: p
sources:
  orders: orders
  customers: { dataset: customers, version: 2 }
output: out
`;
  it('reads YAML and JSON, each step checked against its own schema', () => {
    const spec = parsePipeline(`${base}steps:
  - from: orders
  - join: { with: customers, on: cid }
  - dedup: true
  - sample: { fraction: 0.5 }
`);
    assert.deepEqual(
      spec.steps.map((s) => s.kind),
      ['from', 'join', 'dedup', 'sample'],
    );
    assert.deepEqual(spec.steps[1], { kind: 'join', spec: { with: 'customers', on: 'cid', how: 'inner' } });
    assert.deepEqual(spec.steps[3], { kind: 'sample', spec: { fraction: 0.5, seed: 0 } });
    const json = parsePipeline(
      JSON.stringify({ name: 'p', sources: { o: 'orders@3' }, steps: [{ from: 'o' }], output: { dataset: 'out' } }),
    );
    assert.deepEqual(json.output, { dataset: 'out', force: false });
  });

  it('refuses a broken file with the place of the mistake', () => {
    const refused = (text: string) => {
      try {
        parsePipeline(text);
        return 'accepted';
      } catch (error) {
        assert.ok(error instanceof HearthError && error.code === 'VALIDATION_FAILED');
        return error.message;
      }
    };
    assert.match(refused(`${base}steps:\n  - from: orders\n  - renam: { a: b }\n`), /steps\[2\]: no step "renam"/);
    assert.match(refused(`${base}steps:\n  - from: nowhere\n`), /no source named "nowhere"/);
    assert.match(refused(`${base}steps:\n  - filter: x > 1\n`), /first step is "from/);
    assert.match(refused(`${base}steps:\n  - from: orders\n  - sample: { fraction: 2 }\n`), /steps\[2\]\.sample\.fraction/);
    assert.match(refused(`${base}steps:\n  - from: orders\n    rename: { a: b }\n`), /a step is one key/);
    assert.match(refused(`name: p\nsources: { o: out }\nsteps: [{ from: o }]\noutput: out\n`), /reads the output dataset/);
    assert.match(refused('name: [unclosed'), /not valid YAML or JSON \(line 1\)/);
  });
});
