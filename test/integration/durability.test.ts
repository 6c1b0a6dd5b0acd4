import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers } from '../../main/api/handlers.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient } from '../../main/contracts/client.js';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

describe('durability and several processes on one store', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('loses no committed data when an ingest is killed mid-write', async () => {
    const dataDir = `${tmp.dir}/killed`;
    const engine = Engine.open(dataDir);
    await engine.datasets.ingestCsv('kept', writeFile(tmp.dir, 'small.csv', 'a,b\n1,x\n2,y\n'));
    engine.close();
    const big = `${tmp.dir}/big.csv`;
    writeFileSync(big, syntheticCsv('regression', 400_000, 3));
    const child = spawn(process.execPath, [bin, 'ingest', big, '--dataset', 'partial', '--data-dir', dataDir], {
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    await exited;
    const raw = new Database(`${dataDir}/hearth.db`);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.close();
    const reopened = Engine.open(dataDir);
    const names = reopened.datasets.list().map((d) => d.name);
    assert.ok(names.includes('kept'));
    // Either the ingest had not committed (no trace of it) or it had (whole): never a half version.
    if (names.includes('partial')) assert.equal(reopened.datasets.version('partial').rows, 400_000);
    assert.equal(reopened.datasets.loadFrame('kept').frame.rowCount, 2);
    reopened.close();
  });

  it('serves a version promoted by another process at once', async () => {
    const dataDir = `${tmp.dir}/shared`;
    const server = Engine.open(dataDir);
    const client = createClient(inProcessTransport(server, createHandlers(server)));
    await client.call('datasets.ingest', { name: 'd', path: writeFile(tmp.dir, 'd.csv', syntheticCsv('binary', 600, 4)) });
    for (const l2 of [0.001, 1]) {
      const job = await client.call('training.start', { dataset: 'd', target: 'label', model: 'm', l2 });
      assert.equal((await server.trainer.wait(job.id)).status, 'succeeded');
    }
    assert.equal((await client.call('models.predict', { name: 'm', rows: [{ x1: 1 }] })).version, 1);
    const cli = Engine.open(dataDir); // what `hearth models promote m 2` does, beside the running server
    cli.registry.promote('m', 2);
    cli.close();
    assert.equal((await client.call('models.predict', { name: 'm', rows: [{ x1: 1 }] })).version, 2);
    server.close();
  });
});
