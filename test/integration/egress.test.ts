import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startJsonChild, syntheticCsv, tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const probe = fileURLToPath(new URL('../fixtures/egress-probe.js', import.meta.url));

describe('no egress', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('the probe sees a connection when one is made (so its silence below means something)', () => {
    const log = join(tmp.dir, 'control.jsonl');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        probe,
        '-e',
        "fetch('http://127.0.0.1:65531/').catch(() => undefined).finally(() => require('node:dns').lookup('example.org', () => undefined))",
      ],
      { env: { ...process.env, HEARTH_EGRESS_LOG: log }, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const kinds = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { kind: string; target: unknown }).kind);
    assert.ok(kinds.includes('connect') && kinds.includes('dns'), kinds.join(', '));
  });

  it('ingests, trains, serves and monitors without opening a single outbound connection', async () => {
    const egress = join(tmp.dir, 'egress.jsonl');
    const dataDir = join(tmp.dir, 'data');
    const env = { HEARTH_EGRESS_LOG: egress, HEARTH_TOKEN: 'egress-test-token-123' };
    const csv = writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 1200));
    // The CLI path: ingest and train in their own processes.
    for (const args of [
      ['ingest', csv, '--dataset', 'churn'],
      ['train', '--dataset', 'churn', '--target', 'label', '--algorithm', 'gbdt', '--model', 'churn'],
      ['models', 'report', 'churn', '--out', join(tmp.dir, 'report.html')],
    ]) {
      const r = spawnSync(process.execPath, ['--import', probe, bin, ...args, '--data-dir', dataDir], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
    }
    // The server path: the API, REST predictions, drift and monitoring, driven from outside.
    const server = await startJsonChild(
      process.execPath,
      ['--import', probe, bin, 'serve', '--port', '0', '--json', '--data-dir', dataDir],
      env,
    );
    try {
      const call = async (method: string, body: unknown) => {
        const response = await fetch(`${server.url}/api/${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${env.HEARTH_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(response.status, 200, `${method}: ${await response.clone().text()}`);
        return response.json();
      };
      const rows = Array.from({ length: 50 }, (_, i) => ({ x1: Math.sin(i), x2: 3, colour: 'red', flag: i % 2 === 0 }));
      await call('models.predict', { name: 'churn', rows });
      await call('models.drift', { name: 'churn' });
      await call('models.monitor', { name: 'churn' });
      await call('datasets.append', { name: 'churn', rows: [{ x1: 1, x2: 2, colour: 'blue', flag: true, label: 'good' }] });
      await call('models.retrain', { name: 'churn' });
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
    // Resolving the address the server binds to is not egress; anything else is.
    const attempts = (existsSync(egress) ? readFileSync(egress, 'utf8').trim().split('\n').filter(Boolean) : []).filter(
      (line) => !(line.includes('"kind":"dns"') && line.includes('Server.listen')),
    );
    assert.deepEqual(attempts, []);
  });
});
