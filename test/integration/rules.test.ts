import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { DataRule } from '../../main/contracts/api.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { createHandlers } from '../../main/api/handlers.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient, type Client } from '../../main/contracts/client.js';
import { startHarness, testToken, waitForJob, type Harness } from './harness.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const sample = fileURLToPath(new URL('../../../resources/samples/birdstrikes.csv', import.meta.url));

/** syntheticCsv's rows with some cells replaced: `edits[line] = {column: value}` (line 2 is the first data row). */
function edited(csv: string, edits: Record<number, Record<string, string>>): string {
  const lines = csv.trim().split('\n');
  const header = lines[0]!.split(',');
  for (const [line, cells] of Object.entries(edits)) {
    const fields = lines[Number(line) - 1]!.split(',');
    for (const [column, value] of Object.entries(cells)) fields[header.indexOf(column)] = value;
    lines[Number(line) - 1] = fields.join(',');
  }
  return `${lines.join('\n')}\n`;
}

const failedIds = (check: { failed: { rule: string }[] }) => check.failed.map((f) => f.rule).sort();

describe('data-quality rules: suggested, checked, enforced at ingest and at serving', () => {
  let h: Harness;
  /** Local files are ingested in-process (as the CLI does); everything else goes over HTTP. */
  let local: Client;
  let rules: DataRule[];
  before(async () => {
    h = await startHarness('http');
    local = createClient(inProcessTransport(h.engine, createHandlers(h.engine)));
    await local.call('datasets.ingest', {
      name: 'sales',
      path: writeFile(h.dataDir, 'v1.csv', syntheticCsv('regression', 2000, 1)),
    });
  });
  after(() => h?.close());

  it('suggests a rule per column and kind from a good version, and every one holds on it', async () => {
    rules = await h.client.call('rules.suggest', { name: 'sales' });
    const ids = rules.map((r) => ('column' in r ? `${r.column}:${r.kind}` : r.kind));
    for (const id of ['x1:type', 'x1:range', 'x1:missing', 'colour:allowed', 'amount:distribution', 'row-count'])
      assert.ok(ids.includes(id), id);
    const colours = rules.find((r) => r.kind === 'allowed' && r.column === 'colour');
    assert.deepEqual(colours?.kind === 'allowed' && colours.values, ['amber', 'blue', 'green', 'red']);
    // Suggestions are not stored until saved.
    assert.deepEqual(await h.client.call('rules.get', { name: 'sales' }), []);
    await h.client.call('rules.set', { name: 'sales', rules });
    const check = await h.client.call('rules.check', { name: 'sales' });
    assert.equal(check.passed, true, JSON.stringify(check.failed));
    assert.equal(check.rules, rules.length);
  });

  it('suggested rules hold on the version they came from: the bundled sample, dates and all', async () => {
    await local.call('datasets.ingest', { name: 'birds', path: sample });
    const suggested = await h.client.call('rules.suggest', { name: 'birds' });
    assert.ok(suggested.some((r) => r.kind === 'range' && r.column === 'Flight Date'));
    const check = await h.client.call('rules.check', { name: 'birds', rules: suggested });
    assert.equal(check.passed, true, JSON.stringify(check.failed));
  });

  it('stays quiet on a clean new version drawn from the same distribution', async () => {
    const result = await local.call('datasets.ingest', {
      name: 'sales',
      path: writeFile(h.dataDir, 'v2.csv', syntheticCsv('regression', 2000, 2)),
    });
    assert.equal(result.quarantined, 0);
    assert.deepEqual(result.rulesFailed ?? [], []);
    assert.equal((await h.client.call('rules.check', { name: 'sales', version: 2 })).passed, true);
  });

  it('quarantines rows that break a range with their line numbers, and reports the warnings it did not enforce', async () => {
    const csv = edited(syntheticCsv('regression', 2000, 3), {
      7: { x1: '99' },
      12: { x1: '-40' },
      30: { colour: 'purple' },
    });
    const result = await local.call('datasets.ingest', { name: 'sales', path: writeFile(h.dataDir, 'v3.csv', csv) });
    assert.equal(result.rows, 1998);
    assert.equal(result.quarantined, 2);
    const quarantine = await h.client.call('datasets.quarantine', { name: 'sales', version: result.version });
    assert.deepEqual(
      quarantine.rows.map((q) => [q.line, q.reason]),
      [
        [7, `rule x1:range: 99 is above ${(rules.find((r) => r.kind === 'range' && r.column === 'x1') as { max: number }).max}`],
        [
          12,
          `rule x1:range: -40 is below ${(rules.find((r) => r.kind === 'range' && r.column === 'x1') as { min: number }).min}`,
        ],
      ],
    );
    // A new colour is a warning (a new level to review), not a refusal.
    assert.deepEqual(
      (result.rulesFailed ?? [])
        .map((f) => [f.rule, f.severity, f.rows])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['colour:allowed', 'warn', 1],
        ['x1:range', 'quarantine', 2],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('refuses a version that breaks a reject rule and leaves the store as it was', async () => {
    const before = await h.client.call('datasets.versions', { name: 'sales' });
    // flag as numbers: a widening the schema accepts (boolean → number), which the type rule still refuses.
    const csv = syntheticCsv('regression', 300, 4)
      .trim()
      .split('\n')
      .map((line, i) => {
        if (i === 0) return line;
        const f = line.split(',');
        if (f[3] !== '') f[3] = (i % 3) + 0.5 + '';
        return f.join(',');
      })
      .join('\n');
    await assert.rejects(
      local.call('datasets.ingest', { name: 'sales', path: writeFile(h.dataDir, 'typed.csv', `${csv}\n`) }),
      (e: Error & { code?: string }) =>
        e.code === 'VALIDATION_FAILED' &&
        /refused by the dataset's rules: flag:type \("flag" is number, not boolean\)/.test(e.message),
    );
    assert.deepEqual(await h.client.call('datasets.versions', { name: 'sales' }), before);
  });

  it('fires each table rule on its planted violation', async () => {
    const csv = syntheticCsv('regression', 2000, 5)
      .trim()
      .split('\n')
      .map((line, i) => {
        if (i === 0) return line;
        const f = line.split(',');
        if (i % 2 === 0)
          f[1] = ''; // half of x2 missing
        else if (f[1] !== '') f[1] = String(Number(f[1]) + 0.9); // the rest shifted: a distribution change within range
        return f.join(',');
      });
    const rows = [...csv.slice(1), ...csv.slice(1, 41)]; // 40 rows twice
    const planted = [csv[0], ...rows].join('\n') + '\n';
    // What the two repeat rules must count, worked out here from the text: repeated rows, repeated amounts.
    const repeatedRows = rows.length - new Set(rows).size;
    const amounts = rows.map((r) => r.split(',')[4]!).filter((a) => a !== '');
    const repeatedAmounts = amounts.length - new Set(amounts.map(Number)).size;
    assert.ok(repeatedRows >= 40 && repeatedAmounts >= 40);
    await local.call('datasets.ingest', { name: 'sales', path: writeFile(h.dataDir, 'v4.csv', planted) });
    const check = await h.client.call('rules.check', {
      name: 'sales',
      rules: [
        ...rules.filter((r) => (r.kind === 'missing' || r.kind === 'distribution') && r.column === 'x2'),
        { kind: 'duplicate-keys', columns: ['x1', 'x2', 'colour', 'flag', 'amount'], severity: 'warn' },
        { kind: 'unique', column: 'amount', severity: 'warn' },
      ],
    });
    assert.deepEqual(failedIds(check), ['amount:unique', 'duplicate-keys', 'x2:distribution', 'x2:missing']);
    const rowsOf = (id: string) => check.failed.find((f) => f.rule === id)!.rows;
    assert.equal(rowsOf('duplicate-keys'), repeatedRows);
    assert.equal(rowsOf('amount:unique'), repeatedAmounts);
    assert.ok(rowsOf('x2:missing') >= 1000, String(rowsOf('x2:missing')));
  });

  it("writes a version's quality report as HTML: the failed rules, the rules in force, no data rows", async () => {
    const report = await h.client.call('rules.report', { name: 'sales', version: 3 });
    assert.equal(report.fileName, 'sales-v3-quality.html');
    assert.match(report.html, /<h2>1 of \d+ rules fail<\/h2>/);
    assert.match(report.html, /<td>colour:allowed<\/td><td>warn<\/td><td>1<\/td>/);
    assert.match(report.html, /<h2>Rules in force<\/h2>/);
    // A failure names one example value; the quarantined rows' content and the data rows are not in it.
    assert.doesNotMatch(report.html, /<script|"x1":99|"x1":-40/);
  });

  it('refuses rules that name a missing column, a broken pattern, or quarantine by a table rule', async () => {
    const refused = async (rule: DataRule, pattern: RegExp) =>
      assert.rejects(
        h.client.call('rules.set', { name: 'sales', rules: [rule] }),
        (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && pattern.test(e.message),
      );
    await refused({ kind: 'range', column: 'nope', min: 0, max: 1, severity: 'warn' }, /no column "nope"/);
    await refused({ kind: 'pattern', column: 'colour', pattern: '([a-z', severity: 'warn' }, /does not compile/);
    await refused({ kind: 'unique', column: 'x1', severity: 'quarantine' }, /only row rules/);
  });

  it('serving: a row that breaks a quarantine or reject rule of the training data gets a 422 naming the rule', async () => {
    const job = await h.client.call('training.start', {
      dataset: 'sales',
      datasetVersion: 1,
      target: 'amount',
      algorithm: 'linear',
      model: 'forecast',
    });
    assert.equal((await waitForJob(h.client, job.id)).status, 'succeeded');
    const ok = await h.client.call('models.predict', { name: 'forecast', rows: [{ x1: 0.5, x2: 3, colour: 'red', flag: true }] });
    assert.equal(ok.predictions.length, 1);
    const response = await fetch(`${h.server!.url}/v1/models/forecast/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        rows: [
          { x1: 0.5, x2: 3, colour: 'red', flag: true },
          { x1: 99, x2: 3, colour: 'red', flag: false },
        ],
      }),
    });
    assert.equal(response.status, 422);
    const body = (await response.json()) as { code: string; message: string; details: { rule: string; row: number } };
    assert.equal(body.code, 'INVALID_INPUT');
    assert.match(body.message, /^row 1: rule x1:range: 99 is above /);
    assert.equal(body.details.rule, 'x1:range');
    assert.equal(body.details.row, 1);
    // A warn rule (colour's allowed values) does not stop a request.
    const purple = await h.client.call('models.predict', {
      name: 'forecast',
      rows: [{ x1: 0.5, x2: 3, colour: 'purple', flag: true }],
    });
    assert.equal(purple.predictions.length, 1);
  });

  it('hearth rules check --json: {passed, failed: [{rule, column, rows}]}, exit 1 when a rule fails', () => {
    const r = spawnSync(process.execPath, [bin, 'rules', 'check', 'sales@3', '--json', '--data-dir', h.dataDir], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_DATA_DIR: '' },
    });
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { passed: boolean; failed: { rule: string; column: string | null; rows: number }[] };
    assert.equal(out.passed, false);
    assert.deepEqual(
      out.failed.map((f) => [f.rule, f.column, f.rows]),
      [['colour:allowed', 'colour', 1]],
    );
  });
});
