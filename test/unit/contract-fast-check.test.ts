import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiFastChecks, apiSchemas, type ApiMethod } from '../../main/contracts/index.js';
import { dispatch } from '../../main/api/dispatch.js';
import type { CallContext, Handlers } from '../../main/api/handlers.js';
import { seededRandom } from '../../main/stats/random.js';

/**
 * A method's hand-written pre-check (MethodDefinition.accepts) lets dispatch() skip zod: it must never pass what the
 * schema refuses. Held against the schema on hostile spellings and on random arguments built from the valid ones.
 */
const methods = Object.keys(apiFastChecks) as ApiMethod[];

const polluted = JSON.parse('{"name":"m","rows":[{"a":1}],"__proto__":{"admin":true}}') as unknown;
const hostile: unknown[] = [
  undefined,
  null,
  0,
  'rows',
  [],
  [{ name: 'm', rows: [{ a: 1 }] }],
  {},
  { name: 'm' },
  { name: 'm', rows: [] },
  { name: 'm', rows: {} },
  { name: 'm', rows: 'x' },
  { name: 'm', rows: [null] },
  { name: 'm', rows: [[1, 2]] },
  { name: 'm', rows: [{ a: { b: 1 } }] },
  { name: 'm', rows: [{ a: [1] }] },
  { name: 'm', rows: [{ a: Number.NaN }] },
  { name: 'm', rows: [{ a: Number.POSITIVE_INFINITY }] },
  { name: 'm', rows: [{ a: 1n }] },
  { name: 'm', rows: [{ a: undefined }] },
  { name: 'm', rows: [{ a: () => 1 }] },
  { name: 'm', rows: [{ a: new Date() }] },
  { name: 'm', rows: [new Map()] },
  { name: 'm', rows: Array.from({ length: 10_001 }, () => ({ a: 1 })) },
  { name: 'm', rows: Array.from({ length: 10_000 }, () => ({ a: 1 })) },
  { name: 'm', rows: new Array(3) },
  { name: 'm', rows: [{ a: 1 }, , { a: 2 }] }, // eslint-disable-line no-sparse-arrays
  { name: '', rows: [{ a: 1 }] },
  { name: '../m', rows: [{ a: 1 }] },
  { name: '.m', rows: [{ a: 1 }] },
  { name: 'm\n', rows: [{ a: 1 }] },
  { name: 'x'.repeat(128), rows: [{ a: 1 }] },
  { name: 'x'.repeat(129), rows: [{ a: 1 }] },
  { name: new String('m'), rows: [{ a: 1 }] },
  { name: 7, rows: [{ a: 1 }] },
  { name: 'm', rows: [{ a: 1 }], version: 0 },
  { name: 'm', rows: [{ a: 1 }], version: -1 },
  { name: 'm', rows: [{ a: 1 }], version: 1.5 },
  { name: 'm', rows: [{ a: 1 }], version: '1' },
  { name: 'm', rows: [{ a: 1 }], version: null },
  { name: 'm', rows: [{ a: 1 }], version: 2 ** 53 },
  { name: 'm', rows: [{ a: 1 }], version: Number.MAX_SAFE_INTEGER },
  { name: 'm', rows: [{ a: 1 }], version: undefined },
  { name: 'm', rows: [{ a: 1 }], explain: 'yes' },
  { name: 'm', rows: [{ a: 1 }], explain: null },
  { name: 'm', rows: [{ a: 1 }], explain: true },
  { name: 'm', rows: [{ a: 1 }], extra: 1 },
  { name: 'm', rows: [{ a: 1 }], constructor: 1 },
  polluted,
  Object.assign(Object.create(null) as object, { name: 'm', rows: [{ a: 1 }] }),
  Object.assign(Object.create({ inherited: 1 }) as object, { name: 'm', rows: [{ a: 1 }] }),
  Object.defineProperty({ name: 'm', rows: [{ a: 1 }] }, 'hidden', { value: 1, enumerable: false }),
  { name: 'm', rows: [{ a: 1, b: 'x', c: true, d: null, e: -0 }] },
];

/** A random variation of a valid argument object: a field dropped, retyped or added, a cell made hostile. */
function mutate(random: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const cell = (): unknown =>
    pick([1, -2.5, 0, 'a', '', true, false, null, Number.NaN, Infinity, undefined, {}, [], [1], { x: 1 }, 10n, Symbol('s')]);
  const row = (): unknown => {
    if (random() < 0.05) return pick([null, [], 'row', 1, new Date()]);
    const r: Record<string, unknown> = {};
    const n = Math.floor(random() * 4);
    for (let i = 0; i < n; i++)
      r[pick(['a', 'b', '__proto__', 'constructor', 'toString', ''])] = random() < 0.8 ? pick([1, 'x', true, null]) : cell();
    return r;
  };
  const args: Record<string, unknown> = {};
  if (random() < 0.95) args.name = random() < 0.8 ? pick(['m', 'churn', 'a.b-c_d', 'M1']) : pick(['', '-m', 'a/b', 'é', 5, null]);
  if (random() < 0.9)
    args.rows = random() < 0.9 ? Array.from({ length: Math.floor(random() * 4) }, row) : pick([{}, 'x', null, 3]);
  if (random() < 0.4)
    args.version = random() < 0.7 ? Math.ceil(random() * 5) : pick([0, -1, 1.5, '2', null, Infinity, Number.NaN]);
  if (random() < 0.3) args.explain = random() < 0.7 ? random() < 0.5 : pick(['true', 1, null]);
  if (random() < 0.1) args[pick(['extra', 'rows2', 'Name', 'toString'])] = 1;
  return args;
}

describe('hand-written argument checks agree with the zod schemas', () => {
  it('models.predict has one (the single-row hot path)', () => {
    assert.ok(methods.includes('models.predict'));
  });

  for (const method of methods) {
    it(`${method}: never passes what zod refuses, and passes the plain valid arguments`, () => {
      const check = apiFastChecks[method]!;
      const random = seededRandom(7);
      const cases = [...hostile, ...Array.from({ length: 20_000 }, () => mutate(random))];
      let passed = 0;
      for (const args of cases) {
        const copy = check(args);
        if (copy === undefined) continue;
        passed++;
        const parsed = apiSchemas[method].safeParse(args);
        assert.ok(parsed.success, `the fast check passed what zod refuses: ${String(JSON.stringify(args))?.slice(0, 200)}`);
        // The copy is what zod would hand the handler, and zod accepts it too.
        assert.equal(JSON.stringify(copy), JSON.stringify(parsed.data));
        assert.ok(apiSchemas[method].safeParse(copy).success);
      }
      // Not vacuous: plain valid arguments do take the fast path.
      assert.ok(check({ name: 'm', rows: [{ a: 1, b: 'x', c: null, d: true }] }) !== undefined);
      assert.ok(check({ name: 'm', version: 3, rows: [{}], explain: false }) !== undefined);
      assert.ok(passed > 1000, `only ${passed} of ${cases.length} passed`);
    });
  }

  it('the handler gets a copy: each field read once, checked as read, and the caller’s array not shared', async () => {
    let seen: unknown;
    const handlers = {
      'models.predict': async (args: { name: string; rows: unknown[] }) => {
        await new Promise((resolve) => setImmediate(resolve));
        seen = JSON.parse(JSON.stringify(args)) as unknown;
        return null;
      },
    } as unknown as Handlers;
    const context: CallContext = { transport: 'in-process', principal: { name: 'p', role: 'admin' } };
    let reads = 0;
    const shifty = {
      get name(): string {
        return reads++ === 0 ? 'm' : '../../etc/x';
      },
      rows: [{ a: 1 }],
    };
    // Whatever the getter answered first is what was checked and what the handler gets.
    const first = await dispatch(handlers, 'models.predict', shifty, context);
    assert.equal(first.ok, true);
    assert.equal((seen as { name: string }).name, 'm');
    const rows: unknown[] = [{ a: 1 }];
    const pending = dispatch(handlers, 'models.predict', { name: 'm', rows }, context);
    rows.push({ a: { evil: true } }, 42);
    assert.equal((await pending).ok, true);
    assert.deepEqual((seen as { rows: unknown[] }).rows, [{ a: 1 }]);
  });

  it('dispatch refuses through zod what the fast check sends there, with the same coded error as before', async () => {
    let reached = 0;
    const handlers = { 'models.predict': async () => ({ reached: ++reached }) } as unknown as Handlers;
    const context: CallContext = { transport: 'http', principal: { name: 'p', role: 'admin' } };
    const bad = await dispatch(handlers, 'models.predict', { name: 'm', rows: [{ a: { nested: 1 } }] }, context);
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.error.code, 'VALIDATION_FAILED');
      assert.match(bad.error.message, /rows\.0/);
    }
    const extra = await dispatch(handlers, 'models.predict', polluted, context);
    assert.equal(extra.ok, false);
    const good = await dispatch(handlers, 'models.predict', { name: 'm', rows: [{ a: 1 }] }, context);
    assert.deepEqual(good, { ok: true, result: { reached: 1 } });
  });
});
