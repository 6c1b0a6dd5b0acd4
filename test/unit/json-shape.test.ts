import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonShapeProblem } from '../../main/api/json-shape.js';
import { seededRandom } from '../../main/stats/random.js';

const limits = { depth: 4, keysPerObject: 5, elementsPerArray: 6 };

/** The same verdict from the parsed value: its depth and its widest object and array. */
function fromParsed(value: unknown): string | null {
  let problem: string | null = null;
  const walk = (v: unknown, depth: number): void => {
    if (problem !== null || typeof v !== 'object' || v === null) return;
    if (depth >= limits.depth) problem = `the JSON body nests deeper than ${limits.depth} levels`;
    else if (Array.isArray(v) && v.length > limits.elementsPerArray)
      problem = `a JSON array in the body has more than ${limits.elementsPerArray} elements`;
    else if (!Array.isArray(v) && Object.keys(v).length > limits.keysPerObject)
      problem = `a JSON object in the body has more than ${limits.keysPerObject} keys`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child, depth + 1);
  };
  walk(value, 0);
  return problem;
}

describe('the look at a JSON body before it is parsed', () => {
  it('agrees with the parsed value on random bodies whose strings hide quotes, backslashes, brackets and commas', () => {
    const random = seededRandom(3);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const tricky = ['', 'a', '\\', '"', '\\\\', '\\"', '[', ']', '{', '}', ',', 'x,y', '[[', '\\\\\\"{'];
    const text = (): string => Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(tricky)).join('');
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 6 || r < 0.3) return pick([0, 1.5, true, null, text()]);
      const n = Math.floor(random() * 9);
      if (r < 0.65) return Array.from({ length: n }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${i}:${text()}`, value(depth + 1)]));
    };
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const body = JSON.stringify(value(0));
      // The scan stops at the first container past a limit, the walk at the first it reaches: both refuse, or neither.
      const scanned = jsonShapeProblem(body, limits);
      const expected = fromParsed(JSON.parse(body));
      assert.equal(scanned === null, expected === null, `${body}: ${scanned} against ${expected}`);
      if (scanned !== null) refused++;
    }
    assert.ok(refused > 300 && refused < 2700, `${refused} of 3000 refused`);
  });
  it('a quote after an even run of backslashes closes its string; after an odd run it does not', () => {
    // "\\" closes after two backslashes: the brackets after it count.
    assert.match(jsonShapeProblem('["\\\\",[[[[0]]]]]', limits)!, /nests deeper/);
    // "\\\" does not close: the brackets after it are inside the string.
    assert.equal(jsonShapeProblem('["\\\\\\",[[[[0]]]]"]', limits), null);
  });
  it('an unterminated string ends the look (the parse refuses the body)', () => {
    assert.equal(jsonShapeProblem('["abc', limits), null);
    assert.equal(jsonShapeProblem('["a\\"', limits), null);
  });
});
