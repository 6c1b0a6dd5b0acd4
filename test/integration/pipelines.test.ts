import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { HearthError } from '../../main/contracts/errors.js';
import { cellValue, type Frame } from '../../main/table/frame.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

function column(frame: Frame, name: string): unknown[] {
  const c = frame.columns.find((x) => x.name === name)!;
  return Array.from({ length: frame.rowCount }, (_, r) => cellValue(c, r));
}

/** How many times each value occurs. */
function counts(values: readonly unknown[]): Map<unknown, number> {
  const m = new Map<unknown, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function ordersCsv(from: number, to: number): string {
  const lines = ['order_id,customer_id,amt,status,email'];
  for (let i = from; i < to; i++)
    lines.push(
      `${i},${i % 5},${i % 7 === 0 ? 'n.a.' : (i * 1.5).toFixed(2)},${i % 4 === 0 ? 'cancelled' : 'paid'},u${i}@example.org`,
    );
  return `${lines.join('\n')}\n`;
}

const customersCsv = 'customer_id,region\n0,north\n1,south\n2,east\n3,west\n';

const pipelineYaml = (extra = '') => `name: orders-clean
description: paid orders with their customer's region
sources:
  orders: { file: orders.csv, into: orders_raw }
  customers: customers
steps:
  - from: orders
  - rename: { amt: amount }
  - cast: { amount: number }
  # Block style for expressions: a comma inside a flow mapping { … } would end the entry.
  - derive:
      total: round(amount * 1.2, 2)
      big: amount > 50
  - filter: status != 'cancelled'
  - join: { with: customers, on: customer_id, how: left }
  - dedup: { keys: [order_id] }
  - pii: { email: hash }
${extra}output: orders_clean
`;

describe('pipelines: incremental, idempotent, with lineage', () => {
  let h: Harness;
  const files = tempDir();
  const dir = files.dir;
  after(files.cleanup);
  before(async () => {
    h = await startHarness('in-process');
    writeFile(dir, 'orders.csv', ordersCsv(1, 41));
    await h.engine.datasets.ingestCsv('customers', writeFile(dir, 'customers.csv', customersCsv));
  });
  after(() => h?.close());

  const run = () => h.client.call('pipelines.run', { definition: pipelineYaml(), baseDir: dir });

  it('runs every step, sets aside what a cast refuses, and records the lineage', async () => {
    const first = await run();
    // Orders 1..40: 5 have "n.a." amounts (7, 14, 21, 28, 35) and are set aside by the cast; 10 are cancelled
    // (multiples of 4), of which 28 was already set aside: 40 - 5 - 9 = 26 rows reach the output.
    assert.equal(first.status, 'succeeded');
    assert.deepEqual([first.rowsIn, first.rowsOut, first.quarantined], [40, 26, 5]);
    assert.deepEqual(first.output, { dataset: 'orders_clean', version: 1 });
    assert.deepEqual(
      first.inputs.map((i) => [i.dataset, i.version, i.role, i.rows]),
      [
        ['orders_raw', 1, 'rows', 40],
        ['customers', 1, 'lookup', 4],
      ],
    );
    const { frame, info } = h.engine.datasets.loadFrame('orders_clean');
    assert.deepEqual(info.source.pipeline, { name: 'orders-clean', version: 1 });
    assert.deepEqual(info.source.inputs, [
      { dataset: 'orders_raw', version: 1, role: 'rows' },
      { dataset: 'customers', version: 1, role: 'lookup' },
    ]);
    const ids = column(frame, 'order_id') as number[];
    assert.deepEqual(
      ids,
      Array.from({ length: 40 }, (_, i) => i + 1).filter((i) => i % 7 !== 0 && i % 4 !== 0),
    );
    // Derived, joined and pseudonymised values, row by row.
    const at = ids.indexOf(10);
    assert.equal(column(frame, 'total')[at], 18);
    assert.equal(column(frame, 'big')[at], false);
    assert.equal(column(frame, 'region')[at], 'north');
    assert.equal(column(frame, 'region')[ids.indexOf(9)], null); // customer 4 has no region
    assert.match(String(column(frame, 'email')[at]), /^h_/);
    const quarantine = h.engine.datasets.quarantine('orders_clean', 1, 0, 10);
    assert.equal(quarantine.total, 5);
    assert.match(quarantine.rows[0]!.reason, /cast: "amount" value "n\.a\." is not a number/);
  });

  it('a re-run with no new input rows writes nothing', async () => {
    const again = await run();
    assert.equal(again.status, 'up-to-date');
    assert.equal(again.output.version, null);
    assert.equal(h.engine.datasets.versions('orders_clean').length, 1);
    // The unchanged file made no new version of its dataset either.
    assert.equal(h.engine.datasets.versions('orders_raw').length, 1);
  });

  it('reads only the rows its inputs gained, and de-duplicates against what earlier runs wrote', async () => {
    // Rows 41..50 appended, plus order 10 again (already written): only the new ones go through.
    writeFile(dir, 'orders.csv', ordersCsv(1, 51) + ordersCsv(10, 11).split('\n')[1] + '\n');
    const next = await run();
    assert.deepEqual([next.status, next.rowsIn, next.output.version], ['succeeded', 11, 2]);
    const expected = Array.from({ length: 50 }, (_, i) => i + 1).filter((i) => i % 7 !== 0 && i % 4 !== 0);
    const ids = column(h.engine.datasets.loadFrame('orders_clean').frame, 'order_id');
    assert.deepEqual(ids, expected);
    assert.deepEqual(
      next.inputs.find((i) => i.role === 'rows'),
      { source: 'orders', dataset: 'orders_raw', version: 2, role: 'rows', rows: 11 },
    );
  });

  it('a failed run leaves the store as it was and is recorded as failed', async () => {
    writeFile(dir, 'orders.csv', ordersCsv(1, 61));
    const broken = pipelineYaml().replace('amount > 50', 'amount > status');
    await assert.rejects(
      h.client.call('pipelines.run', { definition: broken, baseDir: dir }),
      (e: HearthError) =>
        e.code === 'VALIDATION_FAILED' && /step 4 \(derive/.test(e.message) && /compares values of one type/.test(e.message),
    );
    assert.equal(h.engine.datasets.versions('orders_clean').length, 2);
    const runs = await h.client.call('pipelines.runs', { name: 'orders-clean' });
    assert.equal(runs[0]!.status, 'failed');
    assert.equal(runs[0]!.pipelineVersion, 2);
    // The fixed file picks up exactly the rows the failed run did not consume.
    const fixed = await run();
    assert.deepEqual([fixed.rowsIn, fixed.output.version], [10, 3]);
    assert.equal((await h.client.call('pipelines.definition', { name: 'orders-clean' })).version, 1);
    const list = await h.client.call('pipelines.list', {});
    assert.deepEqual(
      list.map((p) => [p.name, p.output, p.versions, p.lastRun?.status]),
      [['orders-clean', 'orders_clean', 2, 'succeeded']],
    );
  });

  it('a crash between computing and committing writes nothing; the re-run writes each row once', async () => {
    writeFile(dir, 'orders.csv', ordersCsv(1, 71));
    await assert.rejects(
      h.engine.pipelines.run(pipelineYaml(), {
        baseDir: dir,
        allowLocalSources: true,
        beforeCommit: () => {
          throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    assert.equal(h.engine.datasets.versions('orders_clean').length, 3);
    const rerun = await run();
    assert.equal(rerun.rowsIn, 10);
    const ids = column(h.engine.datasets.loadFrame('orders_clean').frame, 'order_id');
    assert.ok([...counts(ids).values()].every((n) => n === 1));
    assert.equal(ids.length, Array.from({ length: 70 }, (_, i) => i + 1).filter((i) => i % 7 !== 0 && i % 4 !== 0).length);
  });

  it('a cancelled run stops between steps, writes nothing, and is recorded as cancelled', async () => {
    writeFile(dir, 'orders.csv', ordersCsv(1, 73));
    const versions = h.engine.datasets.versions('orders_clean').length;
    await assert.rejects(
      h.engine.pipelines.run(pipelineYaml(), {
        baseDir: dir,
        allowLocalSources: true,
        onProgress: (p) => {
          if (p.step === 3) assert.equal(h.engine.pipelines.cancel('orders-clean'), true);
        },
      }),
      (e: HearthError) => e.code === 'CANCELLED',
    );
    assert.equal(h.engine.datasets.versions('orders_clean').length, versions);
    const [last] = await h.client.call('pipelines.runs', { name: 'orders-clean', limit: 1 });
    assert.equal(last!.status, 'cancelled');
    assert.equal(h.engine.pipelines.cancel('orders-clean'), false, 'nothing is running now');
    assert.equal((await run()).rowsIn, 2, 'the next run reads what the cancelled one did not write');
  });

  it('two runs at once write each row once: in one process they take turns, across processes one wins', async () => {
    writeFile(dir, 'orders.csv', ordersCsv(1, 76));
    // In this process: the second waits for the first, then finds nothing new.
    const [a, b] = await Promise.all([run(), run()]);
    assert.deepEqual([a.status, a.rowsIn, b.status], ['succeeded', 3, 'up-to-date']);
    // Another process (a second engine on the same store) commits while this run is about to.
    writeFile(dir, 'orders.csv', ordersCsv(1, 81));
    const other = Engine.open(h.dataDir);
    try {
      await assert.rejects(
        h.engine.pipelines.run(pipelineYaml(), {
          baseDir: dir,
          allowLocalSources: true,
          beforeCommit: async () => {
            const won = await other.pipelines.run(pipelineYaml(), { baseDir: dir, allowLocalSources: true });
            assert.equal(won.rowsIn, 5);
          },
        }),
        (e: HearthError) => e.code === 'CONFLICT',
      );
    } finally {
      other.close();
    }
    const ids = column(h.engine.datasets.loadFrame('orders_clean').frame, 'order_id');
    assert.ok([...counts(ids).values()].every((n) => n === 1));
    assert.equal(ids.length, Array.from({ length: 80 }, (_, i) => i + 1).filter((i) => i % 7 !== 0 && i % 4 !== 0).length);
    assert.equal((await run()).status, 'up-to-date');
  });

  it('previews each step on the rows the next run would read, writing nothing', async () => {
    writeFile(dir, 'orders.csv', ordersCsv(1, 91));
    const rawVersions = h.engine.datasets.versions('orders_raw').length;
    const preview = await h.client.call('pipelines.preview', { definition: pipelineYaml(), baseDir: dir, sampleRows: 3 });
    assert.deepEqual(
      preview.steps.map((s) => [s.label.split(' ')[0], s.rows]),
      [
        ['from', 10],
        ['rename', 10],
        ['cast', 9],
        ['derive', 9],
        // 81..90: 84 has no amount (set aside by the cast), 88 is cancelled.
        ['filter', 8],
        ['join', 8],
        ['dedup', 8],
        ['pii', 8],
      ],
    );
    assert.equal(preview.steps[2]!.setAside, 1);
    // amt is read as text ("n.a." is not a number) until the cast.
    assert.deepEqual(preview.steps[0]!.sample[0], {
      order_id: 81,
      customer_id: 1,
      amt: '121.50',
      status: 'paid',
      email: 'u81@example.org',
    });
    assert.equal(preview.steps[2]!.sample[0]!.amount, 121.5);
    assert.equal(
      h.engine.datasets.versions('orders_raw').length,
      rawVersions,
      'a preview stores no new version of a file source',
    );
  });

  it('rebuilds the output from every input row after the file changed, then goes on incrementally', async () => {
    const before = h.engine.datasets.loadFrame('orders_clean').frame.rowCount;
    const changed = pipelineYaml().replace('round(amount * 1.2, 2)', 'round(amount * 2, 2)');
    const rebuilt = await h.client.call('pipelines.run', { definition: changed, baseDir: dir, rebuild: true });
    // orders.csv holds 1..90 now: every one read again, written as one whole version (not appended).
    const expected = Array.from({ length: 90 }, (_, i) => i + 1).filter((i) => i % 7 !== 0 && i % 4 !== 0);
    assert.deepEqual([rebuilt.mode, rebuilt.rowsIn, rebuilt.rowsOut], ['rebuild', 90, expected.length]);
    const { frame } = h.engine.datasets.loadFrame('orders_clean');
    const ids = column(frame, 'order_id') as number[];
    assert.deepEqual(ids, expected);
    assert.ok(before < expected.length);
    assert.equal(column(frame, 'total')[ids.indexOf(10)], 30, 'the new expression, applied to old rows too');
    const again = await h.client.call('pipelines.run', { definition: changed, baseDir: dir });
    assert.deepEqual([again.status, again.mode], ['up-to-date', 'incremental']);
  });

  it('unions sources with aligned columns, samples stably, and keeps the file it ran with', async () => {
    await h.engine.datasets.ingestCsv('eu', writeFile(dir, 'eu.csv', 'id,amount\n1,10\n2,20\n3,30\n'));
    await h.engine.datasets.ingestCsv('us', writeFile(dir, 'us.csv', 'id,amount,state\n4,40.5,CA\n5,50,NY\n'));
    const text = `name: all-sales
sources: { eu: eu, us: us }
steps:
  - from: eu
  - union: us
  - derive:
      region: if(state is null, 'eu', 'us')
output: sales
`;
    const result = await h.client.call('pipelines.run', { definition: text });
    assert.deepEqual([result.rowsIn, result.rowsOut], [5, 5]);
    const { frame } = h.engine.datasets.loadFrame('sales');
    assert.deepEqual(
      frame.columns.map((c) => `${c.name}:${c.type}`),
      ['id:integer', 'amount:number', 'state:categorical', 'region:categorical'],
    );
    assert.deepEqual(column(frame, 'region'), ['eu', 'eu', 'eu', 'us', 'us']);
    assert.equal((await h.client.call('pipelines.definition', { name: 'all-sales', version: 1 })).definition, text);
  });
});

describe('pipelines over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('http');
    await h.engine.datasets.ingestCsv('eu', writeFile(h.dataDir, '../eu-http.csv', 'id,amount\n1,10\n2,20\n'));
  });
  after(() => h?.close());

  it('runs pipelines over datasets, and refuses to read a file or a database a request names', async () => {
    const ok = await h.client.call('pipelines.run', {
      definition: 'name: p\nsources: { eu: eu }\nsteps: [{ from: eu }, { filter: amount > 15 }]\noutput: big\n',
    });
    assert.deepEqual([ok.rowsOut, ok.output.version], [1, 1]);
    await assert.rejects(
      h.client.call('pipelines.run', {
        definition: 'name: q\nsources: { f: { file: /etc/passwd, into: x } }\nsteps: [{ from: f }]\noutput: y\n',
      }),
      (e: HearthError) => e.code === 'FORBIDDEN',
    );
    await assert.rejects(
      h.client.call('pipelines.preview', {
        definition: 'name: q\nsources: { e: eu }\nsteps: [{ from: e }]\noutput: y\n',
        baseDir: '/',
      }),
      (e: HearthError) => e.code === 'FORBIDDEN',
    );
  });
});

describe('a pipeline killed mid-run', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  /** Runs the CLI and kills it with SIGKILL as soon as its progress shows `marker`; resolves with what it printed. */
  function runAndKill(dataDir: string, file: string, marker: RegExp): Promise<{ killed: boolean; stderr: string }> {
    const child = spawn(process.execPath, [bin, 'pipeline', 'run', file, '--data-dir', dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!killed && marker.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    return new Promise((resolve) => child.on('exit', () => resolve({ killed, stderr })));
  }

  it('leaves exactly one copy of each row after the re-run, wherever it was killed', async () => {
    const dataDir = join(tmp.dir, 'data');
    const n = 100_000;
    const csv = (from: number, to: number) => {
      const lines = ['id,value,group'];
      for (let i = from; i < to; i++) lines.push(`${i},${(i * 0.37) % 100},g${i % 13}`);
      return `${lines.join('\n')}\n`;
    };
    writeFileSync(join(tmp.dir, 'events.csv'), csv(0, n));
    const file = join(tmp.dir, 'events.yaml');
    writeFileSync(
      file,
      `name: events
sources: { events: { file: events.csv, into: events_raw } }
steps:
  - from: events
  - derive:
      scaled: value * 2
      label: concat(group, '-', id)
  - filter: value >= 0
  - dedup: { keys: [id] }
output: events_clean
`,
    );
    // Killed while the steps run (before the commit), then while the output version is being written.
    for (const [marker, upTo] of [
      [/step 3\/4/, n],
      [/commit:/, n + 30_000],
    ] as const) {
      if (upTo > n) writeFileSync(join(tmp.dir, 'events.csv'), csv(0, upTo));
      const { killed, stderr } = await runAndKill(dataDir, file, marker);
      assert.ok(killed, `the run ended before it reached ${marker}: ${stderr}`);
      if (upTo === n) {
        // Killed among the steps: a few hundred milliseconds before any commit, so nothing of the run is stored.
        const engine = Engine.open(dataDir);
        assert.ok(!engine.datasets.list().some((d) => d.name === 'events_clean'));
        engine.close();
      }
      const code = await new Promise((resolve) =>
        spawn(process.execPath, [bin, 'pipeline', 'run', file, '--data-dir', dataDir], { stdio: 'ignore' }).on('exit', resolve),
      );
      assert.equal(code, 0);
      const engine = Engine.open(dataDir);
      try {
        const ids = column(engine.datasets.loadFrame('events_clean').frame, 'id') as number[];
        assert.equal(ids.length, upTo, `after a kill at ${marker}`);
        assert.equal(new Set(ids).size, upTo);
        const runs = engine.pipelines.runs('events');
        assert.equal(runs[0]!.status, 'succeeded');
      } finally {
        engine.close();
      }
    }
  });
});

describe('a pipeline on a schedule', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('runs at each tick, picks up new rows, and stops cleanly on SIGINT', async () => {
    const csv = (n: number) => `id,x\n${Array.from({ length: n }, (_, i) => `${i},${i * 2}`).join('\n')}\n`;
    writeFileSync(join(tmp.dir, 'in.csv'), csv(5));
    const file = join(tmp.dir, 'p.yaml');
    writeFileSync(file, 'name: ticks\nsources: { s: { file: in.csv, into: raw } }\nsteps: [{ from: s }]\noutput: out\n');
    // Six fields: croner's seconds, so the test waits a second per run, not a minute.
    const child = spawn(
      process.execPath,
      [bin, 'pipeline', 'run', file, '--schedule', '* * * * * *', '--data-dir', join(tmp.dir, 'data')],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let stdout = '';
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (pattern.test(stdout)) {
            child.stdout.off('data', onData);
            resolve();
          }
        };
        const onData = (chunk: Buffer) => {
          stdout += chunk.toString();
          check();
        };
        child.stdout.on('data', onData);
        check();
      });
    await seen(/5 rows appended as out v1/);
    writeFileSync(join(tmp.dir, 'in.csv'), csv(8));
    await seen(/3 new rows from raw v2 .*→ 3 rows appended as out v2/);
    await seen(/up to date/);
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    // Each tick went through dispatch as the schedule's own identity, with the analyst's rights, and was audited.
    const engine = Engine.open(join(tmp.dir, 'data'));
    try {
      const runs = engine.access.auditLog({ limit: 100 }).filter((e) => e.action === 'pipelines.run');
      assert.ok(runs.length >= 3, `${runs.length} audited runs`);
      for (const r of runs)
        assert.deepEqual([r.actor, r.role, r.transport, r.outcome], [`schedule:${file}`, 'analyst', 'in-process', 'ok']);
    } finally {
      engine.close();
    }
  });
});
