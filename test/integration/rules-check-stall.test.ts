import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthError, isErrorCode } from '../../main/contracts/errors.js';
import { checkRulesCooperatively, maxCheckWork } from '../../main/data/rules.js';
import type { DataRule } from '../../main/contracts/api.js';
import { startHarness, type Harness } from './harness.js';

/**
 * A viewer's rules.check (a read method) must not stall the server (red-team, High): each distinct pattern is compiled
 * and run over every value, so a few dozen heavy patterns over a dataset of long distinct values held the event loop
 * for seconds. The check now yields between slices of work, refuses more than 100 pattern rules in one call, and
 * refuses up front a call whose estimated work is over budget.
 */

/** Gaps between /healthz answers (polled every 10 ms) while `work` runs; the longest, in ms, and work's outcome. */
async function worstGapDuring<T>(h: Harness, work: () => Promise<T>): Promise<{ worst: number; outcome: T }> {
  let done = false;
  let worst = 0;
  const poller = (async () => {
    let last = performance.now();
    while (!done) {
      const response = await fetch(`${h.server!.url}/healthz`);
      await response.arrayBuffer();
      assert.equal(response.status, 200);
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  // Let the poller get going before the work starts.
  await new Promise((resolve) => setTimeout(resolve, 50));
  let outcome: T;
  try {
    outcome = await work();
  } finally {
    done = true;
    await poller;
  }
  return { worst, outcome };
}

/** One POST to /api/<method> with `token`; the status and parsed body. */
async function post(
  h: Harness,
  method: string,
  token: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.server!.url}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The red-team's pattern: a big RE2 program (~450 steps), made distinct by its tail so none is cached. */
const heavy = (i: number, column = 'text'): DataRule => ({
  kind: 'pattern',
  column,
  pattern: `(a{1,10}){1,20}b|9<${i}>`,
  severity: 'warn',
});

/** `n` distinct text values of 234 characters, mostly a's (the pattern's DFA works hardest on those). */
function longValues(n: number, salt: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    text: `${'a'.repeat(200)}${salt}${String(i).padStart(34 - salt.length, '0')}`,
    n: i,
  }));
}

describe('rules.check cannot stall the server', () => {
  let h: Harness;
  let viewer: string;
  before(async () => {
    h = await startHarness('http');
    viewer = h.engine.access.createToken('viewer-1', 'viewer').token;
    await h.engine.datasets.appendRecords('long', longValues(5000, 'x'), 'test');
    await h.engine.datasets.appendRecords('longer', longValues(20_000, 'y'), 'test');
    await h.engine.datasets.appendRecords('small', [{ text: 'abc', n: 1 }], 'test');
  });
  after(async () => {
    await h.close();
  });

  it("keeps /healthz answering while a viewer's 40 heavy patterns judge 5,000 long values, and checks them right", async () => {
    const rules = Array.from({ length: 40 }, (_, i) => heavy(i));
    const { worst, outcome } = await worstGapDuring(h, () => post(h, 'rules.check', viewer, { name: 'long', rules }));
    console.log(`rules.check, 40 patterns × 5,000 values: worst /healthz gap ${worst.toFixed(0)} ms`);
    assert.ok(worst < 200, `the event loop was held ${worst.toFixed(0)} ms`);
    if (outcome.status === 200) {
      // Every value is 200 a's and more, none ending in b: each rule fails on every row.
      assert.equal(outcome.body.passed, false);
      const failed = outcome.body.failed as { rule: string; rows: number }[];
      assert.equal(failed.length, 40);
      for (const f of failed) assert.equal(f.rows, 5000);
    } else {
      assert.equal(outcome.status, 413, JSON.stringify(outcome.body));
      assert.equal(outcome.body.code, 'PAYLOAD_TOO_LARGE');
    }
  });

  it("refuses up front a viewer's check whose estimated work is over budget, without stalling /healthz", async () => {
    const rules = Array.from({ length: 100 }, (_, i) => heavy(1000 + i));
    const started = performance.now();
    const { worst, outcome } = await worstGapDuring(h, () => post(h, 'rules.check', viewer, { name: 'longer', rules }));
    const took = performance.now() - started;
    console.log(`rules.check, 100 patterns × 20,000 values: worst /healthz gap ${worst.toFixed(0)} ms, ${took.toFixed(0)} ms`);
    assert.ok(worst < 200, `the event loop was held ${worst.toFixed(0)} ms`);
    assert.equal(outcome.status, 413, JSON.stringify(outcome.body));
    assert.equal(outcome.body.code, 'PAYLOAD_TOO_LARGE');
    assert.match(String(outcome.body.message), /too much work/);
  });

  it('refuses 10,000 pattern rules (and 101) at once, with VALIDATION_FAILED', async () => {
    for (const count of [10_000, 101]) {
      const rules = Array.from({ length: count }, (_, i) => heavy(5000 + i));
      const started = performance.now();
      const answer = await post(h, 'rules.check', viewer, { name: 'small', rules });
      const took = performance.now() - started;
      assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 500));
      assert.ok(isErrorCode(answer.body.code));
      assert.equal(answer.body.code, 'VALIDATION_FAILED');
      assert.match(String(answer.body.message), /at most 100 pattern rules/);
      assert.ok(took < 2000, `refused in ${took.toFixed(0)} ms`);
    }
    // 100 is allowed.
    const answer = await post(h, 'rules.check', viewer, {
      name: 'small',
      rules: Array.from({ length: 100 }, (_, i) => heavy(i)),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 500));
  });

  it("counts table rules in a check's work: 10,000 duplicate-keys rules are refused up front (red team, pass 2)", async () => {
    // 200 such rules over 11 columns of 10,000 rows took 11.8 s of CPU before; 10,000 would have taken minutes.
    const rules: DataRule[] = Array.from({ length: 10_000 }, () => ({
      kind: 'duplicate-keys',
      columns: ['text', 'n'],
      severity: 'warn',
    }));
    const started = performance.now();
    const answer = await post(h, 'rules.check', viewer, { name: 'longer', rules });
    assert.equal(answer.status, 413, JSON.stringify(answer.body).slice(0, 300));
    assert.match(String(answer.body.message), /too much work/);
    assert.ok(performance.now() - started < 2000);
  });

  it('runs two bounded checks at once at most; a third is refused with RATE_LIMITED until one ends', async () => {
    const frame = h.engine.datasets.loadFrame('long').frame;
    const rules = Array.from({ length: 100 }, (_, i) => heavy(7000 + i));
    const context = { previous: null, reference: () => frame };
    // Each runs ~10 ms on the loop before it first yields, so the first two are both running when the third starts.
    const first = checkRulesCooperatively(frame, rules, context, maxCheckWork);
    const second = checkRulesCooperatively(frame, rules, context, maxCheckWork);
    await assert.rejects(
      checkRulesCooperatively(frame, rules, context, maxCheckWork),
      (e: unknown) => e instanceof HearthError && e.code === 'RATE_LIMITED',
    );
    await Promise.all([first, second]);
    // Once they have ended, another runs.
    assert.equal((await checkRulesCooperatively(frame, rules, context, maxCheckWork)).failures.length, 100);
  });

  it('keeps /healthz answering while saved heavy rules judge a large append, with the same quarantine', async () => {
    await h.engine.datasets.appendRecords('guarded', [{ text: 'ab', n: 0 }], 'test');
    h.engine.datasets.setRules('guarded', [
      ...Array.from({ length: 40 }, (_, i) => ({ ...heavy(i), severity: 'warn' as const })),
      { kind: 'pattern', column: 'text', pattern: '(a{1,10}){1,20}b|a*z[0-9]*9', severity: 'quarantine' },
    ]);
    // Values ending in 9 pass the quarantine rule; the rest are set aside.
    const rows = longValues(5000, 'z');
    const { worst, outcome } = await worstGapDuring(h, () => h.engine.datasets.appendRecords('guarded', rows, 'test'));
    console.log(`append of 5,000 long values under 41 heavy saved patterns: worst /healthz gap ${worst.toFixed(0)} ms`);
    assert.ok(worst < 200, `the event loop was held ${worst.toFixed(0)} ms`);
    const matching = rows.filter((r) => /^a*z[0-9]*9$/.test(String(r.text))).length;
    assert.equal(outcome.quarantined, 5000 - matching);
    assert.equal(outcome.appended, matching);
    assert.equal(outcome.rulesFailed?.find((f) => f.severity === 'quarantine')?.rows, 5000 - matching);
  });
});
