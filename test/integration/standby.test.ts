import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { Engine } from '../../main/engine/engine.js';
import type { StandbyInfo } from '../../main/contracts/api.js';
import { writeStandbyState } from '../../main/store/standby-state.js';
import { OciClient } from '../../main/sync/oci-client.js';
import { StandbyFollower } from '../../main/sync/standby.js';
import { syntheticCsv, tempDir, until, withoutIds, writeFile } from '../helpers.js';
import { freePort, registrySkip as skip, startRegistry } from './registry-harness.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const token = 'standby-test-token-0123456789abcdef';
/** The writer's backup interval: shipped every 2 s (backups.everyHours takes fractions). */
const intervalSeconds = 2;

interface Child {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function startChild(args: string[], env: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, HEARTH_TOKEN: token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await until(() => stdout.includes('\n') || child.exitCode !== null, `${args[0]}'s first line`, 30_000);
  assert.equal(child.exitCode, null, `${args[0]} exited: ${stderr}`);
  const first = JSON.parse(stdout.split('\n')[0]!) as { url: string };
  return { child, url: first.url, stderr: () => stderr };
}

/**
 * A writer (`hearth serve`, encrypted store) ships an encrypted backup to a real registry (Debian's docker-registry)
 * every 2 s; a standby (`hearth standby`) follows it. The writer is killed; the standby is promoted and serves the
 * same production version with the same predictions, holding what was shipped and losing at most one interval.
 */
describe('hearth standby follows the writer through shipped backups and takes over when promoted', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  let writer: Child;
  let standby: Child;
  const keyFile = join(tmp.dir, 'store.key');
  const writerDir = join(tmp.dir, 'writer');
  const standbyDir = join(tmp.dir, 'standby');
  const rows = [
    { x1: 0.5, x2: 2.1, colour: 'red', flag: 'true' },
    { x1: -1.2, x2: 4.4, colour: 'blue', flag: 'false' },
    { x1: 2.0, x2: null, colour: 'amber', flag: 'true' },
    { x1: 0.0, x2: -3.3, colour: 'red', flag: 'false' },
  ];
  const host = () => registry.url.slice('http://'.length);
  const call = async (base: string, method: string, args: unknown = {}): Promise<Response> =>
    fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(args),
    });
  const json = async <T>(base: string, method: string, args: unknown = {}): Promise<T> => {
    const response = await call(base, method, args);
    assert.equal(response.status, 200, `${method}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const ingestRows = (base: string, dataset: string) =>
    fetch(`${base}/v1/datasets/${dataset}/rows`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
      body: 'a,b\n1,2\n3,4\n',
    });
  const predictions = async (base: string): Promise<{ version: number; text: string }> => {
    const answer = await json<{ version: number; predictions: { id?: string }[] }>(base, 'models.predict', {
      name: 'churn',
      rows,
    });
    return { version: answer.version, text: JSON.stringify(withoutIds(answer.predictions)) };
  };
  const standbyInfo = (base: string) => json<StandbyInfo>(base, 'sync.standby');
  const env = () => ({ HEARTH_STORE_KEY_FILE: keyFile });
  let before_: { version: number; text: string };
  let lastShipped: StandbyInfo['shipping']['last'] = null;
  let killedAt = 0;

  before(async () => {
    registry = await startRegistry(join(tmp.dir, 'registry'));
    writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    // The writer's store: trained, registered, version 2 promoted to production (v1 stays behind).
    const engine = Engine.open(writerDir, { keyFile });
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 400)));
    for (const [algorithm, seed] of [
      ['linear', 1],
      ['gbdt', 2],
    ] as const) {
      const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm, model: 'churn', seed });
      assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
    }
    await createHandlers(engine)['models.promote']({ name: 'churn', version: 2 }, { transport: 'in-process' });
    engine.close();
    writer = await startChild(['serve', '--port', '0', '--data-dir', writerDir], {
      ...env(),
      HEARTH_REMOTES: JSON.stringify([{ name: 'central', url: `oci://${host()}/hearth`, insecureHttp: true }]),
      HEARTH_BACKUPS: JSON.stringify({ everyHours: intervalSeconds / 3600, keep: 3, remote: 'central' }),
    });
    before_ = await predictions(writer.url);
    assert.equal(before_.version, 2);
  });
  after(async () => {
    for (const c of [writer?.child, standby?.child])
      if (c !== undefined && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((resolve) => c.on('exit', resolve));
        c.kill('SIGTERM');
        await exited;
      }
    registry?.child.kill();
    tmp.cleanup();
  });

  it('ships encrypted backups to the registry as artifacts, annotated, tagged by time and latest', async () => {
    let info = await standbyInfo(writer.url);
    const end = Date.now() + 20_000;
    while ((info.shipping.last?.digest ?? null) === null) {
      assert.ok(Date.now() < end, `no shipment; writer stderr: ${writer.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
      info = await standbyInfo(writer.url);
    }
    assert.equal(info.role, 'none');
    assert.equal(info.shipping.remote, 'central');
    const last = info.shipping.last!;
    assert.equal(last.error, null);
    assert.equal(last.repository, 'hearth/backups');
    assert.match(last.tag!, /^backup-\d{8}T\d{9}Z$/);
    const client = new OciClient({ baseUrl: registry.url, repository: 'hearth/backups' });
    // By digest: the writer ships every 2 s, so `latest` may already name a newer one.
    const latest = (await client.getManifest(last.digest!))!;
    assert.equal(latest.manifest.artifactType, 'application/vnd.hearth.backup.v1');
    assert.equal((await client.getManifest('latest'))!.manifest.artifactType, 'application/vnd.hearth.backup.v1');
    assert.equal(latest.manifest.layers[0]!.mediaType, 'application/vnd.hearth.backup.layer.v1');
    const annotations = latest.manifest.annotations!;
    assert.equal(annotations['org.opencontainers.image.created'], last.backupCreatedAt);
    assert.ok(Number(annotations['dev.hearth.backup.schema']) > 10);
    // The key id is the store's key check (in encryption.json), never the key.
    const marker = JSON.parse(readFileSync(join(writerDir, 'encryption.json'), 'utf8')) as { keyCheck: string };
    assert.equal(annotations['dev.hearth.backup.key-id'], marker.keyCheck);
    assert.ok(!JSON.stringify(latest.manifest).includes(readFileSync(keyFile, 'utf8').trim()));
    assert.ok((await client.listTags()).includes(last.tag!));
    // What the registry holds is the backup as encrypted: the database inside is no SQLite plaintext.
    const blob = await client.getBlob(latest.manifest.layers[0]!.digest);
    assert.equal(blob.subarray(0, 2).toString('hex'), '1f8b');
    const { gunzipSync } = await import('node:zlib');
    assert.ok(!gunzipSync(blob).includes(Buffer.from('SQLite format 3')), 'a plaintext database reached the registry');
    console.log(`backup: ${last.bytes} bytes, shipped in ${last.ms} ms`);
  });

  it('refuses to ship a plaintext backup, before writing one', async () => {
    const dir = join(tmp.dir, 'plain');
    const plain = Engine.open(dir);
    try {
      plain.sync.addRemote('central', `oci://${host()}/plain`, true);
      await assert.rejects(plain.backup({ remote: 'central' }), { code: 'VALIDATION_FAILED', message: /must be encrypted/ });
      await assert.rejects(plain.backup({ remote: 'nowhere' }), { code: 'NOT_FOUND' });
      assert.equal(existsSync(plain.backupDir) ? readdirSync(plain.backupDir).length : 0, 0);
      // With a passphrase the archive is encrypted whole: shipped.
      const shipped = await plain.backup({ remote: 'central', passphrase: 'correct horse battery staple' });
      assert.equal(shipped.shipped?.repository, 'plain/backups');
      assert.equal(
        (await new OciClient({ baseUrl: registry.url, repository: 'plain/backups' }).getManifest('latest'))?.manifest
          .annotations?.['dev.hearth.backup.encryption'],
        'passphrase',
      );
    } finally {
      plain.close();
    }
  });

  it('a standby refuses a wrong store key with a message naming the key it needs', async () => {
    const wrongKey = writeFile(tmp.dir, 'wrong.key', randomBytes(32).toString('base64'));
    const dir = join(tmp.dir, 'wrong-standby');
    const follower = new StandbyFollower(
      dir,
      { url: `oci://${host()}/hearth`, insecureHttp: true },
      { keySource: { keyFile: wrongKey } },
    );
    await assert.rejects(follower.check(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'UNAUTHORIZED');
      assert.match(e.message, /same store key as the writer/);
      return true;
    });
    assert.match(follower.lastError ?? '', /store key does not open the backup/);
  });

  it('follows read-only, ready once a restore is loaded; promote is refused before the first restore', async () => {
    // A standby's record with nothing restored: promotion is refused, the folder stays a standby's.
    const empty = join(tmp.dir, 'empty-standby');
    writeStandbyState(empty, {
      role: 'standby',
      from: 'oci://x/y',
      digest: null,
      backupCreatedAt: null,
      restoredAt: null,
      promotedAt: null,
    });
    const refused = spawnSync(process.execPath, [bin, 'promote-standby', '--data-dir', empty, '--json'], {
      env: { ...process.env, ...env() },
      encoding: 'utf8',
    });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stdout, /"code":"CONFLICT".*restored no backup yet/);
    // `hearth serve` refuses a standby's folder; `hearth standby` refuses a folder holding someone's store.
    const serve = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', empty, '--json'], {
      env: { ...process.env, ...env() },
      encoding: 'utf8',
    });
    assert.equal(serve.status, 1);
    assert.match(serve.stdout, /"code":"CONFLICT".*is a standby's data folder/);
    const clobber = spawnSync(
      process.execPath,
      [bin, 'standby', '--from', `oci://${host()}/hearth`, '--insecure-http', '--data-dir', writerDir, '--json'],
      { env: { ...process.env, ...env() }, encoding: 'utf8' },
    );
    assert.equal(clobber.status, 1);
    assert.match(clobber.stdout, /"code":"CONFLICT".*not a standby's/);
    const port = await freePort();
    standby = await startChild(
      [
        'standby',
        '--from',
        `oci://${host()}/hearth`,
        '--insecure-http',
        '--interval',
        '0.5',
        '--port',
        String(port),
        '--data-dir',
        standbyDir,
      ],
      env(),
    );
    const end = Date.now() + 30_000;
    while ((await fetch(`${standby.url}/readyz`)).status !== 200) {
      assert.ok(Date.now() < end, `standby not ready; stderr: ${standby.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const info = await standbyInfo(standby.url);
    assert.equal(info.role, 'standby');
    assert.notEqual(info.digest, null);
    assert.deepEqual(await predictions(standby.url), before_);
    // Answers go on while it swaps in new restores (one every 2 s): none fails, each is the writer's.
    const restoredFirst = info.digest;
    let answers = 0;
    while ((await standbyInfo(standby.url)).digest === restoredFirst || answers < 15) {
      assert.deepEqual(
        await predictions(standby.url).catch((error: Error) => {
          throw new Error(`${error.message}\nstandby stderr: ${standby.stderr()}`);
        }),
        before_,
      );
      answers++;
      await new Promise((r) => setTimeout(r, 150));
    }
    const write = await ingestRows(standby.url, 'refused');
    assert.equal(write.status, 403);
    assert.match(await write.text(), /standby/);
    const train = await call(standby.url, 'models.promote', { name: 'churn', version: 1 });
    assert.equal(train.status, 403);
  });

  it('holds what was shipped when the writer dies, losing at most one interval', async () => {
    assert.equal((await ingestRows(writer.url, 'shipped')).status, 200);
    const ingestedAt = new Date().toISOString();
    // Wait for a shipment taken after that ingest, then for the next one to land: right after it, a second data
    // set is made and the writer killed, before the following shipment (2 s later) could carry it.
    let info = await standbyInfo(writer.url);
    const end = Date.now() + 20_000;
    while ((info.shipping.last?.backupCreatedAt ?? '') <= ingestedAt) {
      assert.ok(Date.now() < end, 'no shipment after the ingest');
      await new Promise((r) => setTimeout(r, 50));
      info = await standbyInfo(writer.url);
    }
    const seen = info.shipping.last!.digest;
    while (info.shipping.last!.digest === seen) {
      await new Promise((r) => setTimeout(r, 20));
      info = await standbyInfo(writer.url);
    }
    lastShipped = info.shipping.last;
    assert.equal((await ingestRows(writer.url, 'lost')).status, 200);
    writer.child.kill('SIGKILL');
    killedAt = Date.now();
    await new Promise((resolve) => writer.child.on('exit', resolve));
    const lostMs = killedAt - Date.parse(lastShipped!.backupCreatedAt);
    assert.ok(lostMs <= intervalSeconds * 1000, `the window of loss, ${lostMs} ms, is within one interval`);
    // The standby restores that last shipment.
    const restoredBy = Date.now() + 20_000;
    let here = await standbyInfo(standby.url);
    while (here.digest !== lastShipped!.digest) {
      assert.ok(Date.now() < restoredBy, `standby did not restore the last shipment: ${JSON.stringify(here)}`);
      await new Promise((r) => setTimeout(r, 100));
      here = await standbyInfo(standby.url);
    }
    const restores = standby
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"event":"restored"'))
      .map((line) => JSON.parse(line) as { lagSeconds: number; swapMs: number });
    console.log(
      `last shipment: ${lastShipped!.bytes} bytes in ${lastShipped!.ms} ms; standby restore lag ${here.lagSeconds} s; ` +
        `window of loss at the kill ${lostMs} ms; ${restores.length} restores, lag ` +
        `${restores.map((r) => r.lagSeconds).join(', ')} s, swap (open + load models) ${restores.map((r) => r.swapMs).join(', ')} ms`,
    );
    // Download, unpack and check, swap, and the models loaded before it answers: seconds, more on a loaded machine.
    assert.ok(here.lagSeconds! >= 0 && here.lagSeconds! < 60, `restore lag ${here.lagSeconds} s`);
  });

  it('refuses a tampered artifact and keeps serving its previous restore', async () => {
    const client = new OciClient({ baseUrl: registry.url, repository: 'hearth/backups' });
    const good = (await client.getManifest('latest'))!;
    const bytes = Buffer.from(await client.getBlob(good.manifest.layers[0]!.digest));
    // Altered bytes under a digest that matches them: the backup's own checks (gzip, hashes) refuse it.
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    const altered = await client.uploadBlob(bytes);
    const tampered = {
      ...good.manifest,
      layers: [{ ...good.manifest.layers[0]!, digest: altered.digest, size: altered.size }],
      annotations: { ...good.manifest.annotations, 'org.opencontainers.image.created': new Date().toISOString() },
    };
    const tamperedDigest = await client.putManifest('latest', tampered);
    let info = await standbyInfo(standby.url);
    const end = Date.now() + 20_000;
    while (info.lastError === null) {
      assert.ok(Date.now() < end, 'the standby did not report the tampered backup');
      await new Promise((r) => setTimeout(r, 100));
      info = await standbyInfo(standby.url);
    }
    assert.match(info.lastError, /damaged|does not match|not a readable/);
    assert.equal(info.digest, lastShipped!.digest);
    assert.notEqual(info.digest, tamperedDigest);
    // A manifest whose layer digest names bytes the registry serves otherwise: refused on download.
    const wrong = {
      ...tampered,
      layers: [{ ...tampered.layers[0]!, digest: good.manifest.layers[0]!.digest, size: good.manifest.layers[0]!.size + 1 }],
    };
    await client.putManifest('latest', wrong);
    const end2 = Date.now() + 20_000;
    while (!/digest or size|larger than/.test(info.lastError ?? '')) {
      assert.ok(Date.now() < end2, `the standby did not refuse the wrong digest: ${info.lastError}`);
      await new Promise((r) => setTimeout(r, 100));
      info = await standbyInfo(standby.url);
    }
    // Something else under `latest` (another tool's artifact): refused by its artifactType, nothing downloaded.
    await client.putManifest('latest', { ...good.manifest, artifactType: 'application/vnd.example.other.v1' });
    const end3 = Date.now() + 20_000;
    while (!/not a Hearth backup/.test(info.lastError ?? '')) {
      assert.ok(Date.now() < end3, `the standby did not refuse a foreign artifact: ${info.lastError}`);
      await new Promise((r) => setTimeout(r, 100));
      info = await standbyInfo(standby.url);
    }
    assert.equal(info.digest, lastShipped!.digest);
    assert.equal((await fetch(`${standby.url}/readyz`)).status, 200);
    assert.deepEqual(await predictions(standby.url), before_);
  });

  it('once promoted: the same production version and predictions, the shipped data, and writes accepted', async () => {
    const promoted = spawnSync(process.execPath, [bin, 'promote-standby', '--data-dir', standbyDir, '--json'], {
      env: { ...process.env, ...env() },
      encoding: 'utf8',
    });
    assert.equal(promoted.status, 0, promoted.stderr + promoted.stdout);
    const end = Date.now() + 10_000;
    let info = await standbyInfo(standby.url);
    while (info.role !== 'writer') {
      assert.ok(Date.now() < end, 'the running standby did not take the promotion');
      await new Promise((r) => setTimeout(r, 100));
      info = await standbyInfo(standby.url);
    }
    assert.notEqual(info.promotedAt, null);
    const after_ = await predictions(standby.url);
    assert.equal(after_.version, before_.version);
    assert.equal(after_.text, before_.text, "predictions are byte for byte the writer's");
    const datasets = (await json<{ name: string }[]>(standby.url, 'datasets.list')).map((d) => d.name).sort();
    assert.ok(datasets.includes('shipped'), 'a change shipped before the kill is there');
    assert.ok(!datasets.includes('lost'), 'a change after the last shipment is not');
    assert.equal((await ingestRows(standby.url, 'after-promotion')).status, 200);
    assert.equal((await json<StandbyInfo>(standby.url, 'sync.promote-standby')).role, 'writer');
    // It stays the writer: `hearth standby` refuses the folder, `hearth serve` is how it runs now.
    const again = spawnSync(
      process.execPath,
      [bin, 'standby', '--from', `oci://${host()}/hearth`, '--insecure-http', '--data-dir', standbyDir, '--json'],
      {
        env: { ...process.env, ...env() },
        encoding: 'utf8',
      },
    );
    assert.equal(again.status, 1);
    assert.match(again.stdout, /promoted to writer/);
  });
});
