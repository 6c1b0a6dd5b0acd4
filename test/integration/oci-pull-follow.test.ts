import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { HearthError } from '../../main/contracts/errors.js';
import { Engine } from '../../main/engine/engine.js';
import { metricsArtifactType } from '../../main/sync/artifact.js';
import { OciClient, referrersTag, sha256Digest } from '../../main/sync/oci-client.js';
import { syntheticCsv, tempDir, withoutIds, writeFile } from '../helpers.js';
import { registrySkip as skip, startRegistry } from './registry-harness.js';

const ctx = { transport: 'in-process' } as const;
const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

/**
 * Two boxes and one registry: "central" trains and publishes churn; "fleet" pulls and follows it. Every step is
 * checked against the registry's own view (tags, manifests, referrers) and against the boxes' predictions.
 */
describe('pull, follow and metrics snapshots against a real registry', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  let central: Engine;
  let fleet: Engine;
  let centralApi: Handlers;
  let fleetApi: Handlers;
  const rows = [
    { x1: 0.5, x2: 2.1, colour: 'red', flag: 'true' },
    { x1: -1.2, x2: 4.4, colour: 'blue', flag: 'false' },
    { x1: 2.0, x2: null, colour: 'amber', flag: 'true' },
  ];
  const host = () => registry.url.slice('http://'.length);
  const repo = () => new OciClient({ baseUrl: registry.url, repository: 'hearth/churn' });
  const train = async (algorithm: 'linear' | 'gbdt', seed: number): Promise<number> => {
    const job = central.trainer.start({ dataset: 'churn', target: 'label', algorithm, model: 'churn', seed });
    const done = await central.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded');
    return done.result!.version;
  };

  before(async () => {
    registry = await startRegistry(`${tmp.dir}/registry`);
    central = Engine.open(`${tmp.dir}/central`);
    fleet = Engine.open(`${tmp.dir}/fleet`);
    centralApi = createHandlers(central);
    fleetApi = createHandlers(fleet);
    await central.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 500)));
    writeFile(tmp.dir, 'labelled.csv', syntheticCsv('binary', 200, 11));
    central.sync.addRemote('central', `oci://${host()}/hearth`, true);
    fleet.sync.addRemote('central', `oci://${host()}/hearth`, true);
    await train('linear', 1);
  });
  after(() => {
    central?.close();
    fleet?.close();
    registry?.child.kill();
    tmp.cleanup();
  });

  it('an evaluation is kept as a metrics snapshot and reaches the registry as a referrer of its version, once', async () => {
    const snapshot = await centralApi['models.evaluate']({ name: 'churn', path: `${tmp.dir}/labelled.csv` }, ctx);
    assert.equal(snapshot.version, 1);
    assert.equal(snapshot.rows, 200);
    assert.match(snapshot.dataHash, /^sha256:[0-9a-f]{64}$/);
    assert.ok(snapshot.metrics.roc_auc! > 0.7);
    // Version, production alias, snapshot: in that order, each once.
    assert.deepEqual(
      (await central.sync.push()).map((r) => [r.sent, r.error]),
      [[3, null]],
    );
    const v1 = (await repo().getManifest('v1'))!;
    // Debian's registry has no referrers API: the snapshot is listed under the fallback tag sha256-<hex>.
    assert.ok((await repo().listTags()).includes(referrersTag(v1.digest)));
    const referrers = await repo().referrers(v1.digest, metricsArtifactType);
    assert.equal(referrers.length, 1);
    const remote = await central.sync.remoteSnapshots(`oci://${host()}/hearth/churn:v1`, true);
    assert.deepEqual(remote, [
      {
        model: 'churn',
        version: 1,
        source: 'evaluate',
        dataHash: snapshot.dataHash,
        rows: 200,
        metrics: snapshot.metrics,
        createdAt: snapshot.createdAt,
      },
    ]);
    // A re-send (a crash after the registry took it, before the outbox heard) adds no second entry.
    central.db.prepare(`DELETE FROM deliveries WHERE outbox_id = (SELECT id FROM outbox WHERE kind = 'metrics')`).run();
    assert.equal((await central.sync.push())[0]!.sent, 1);
    assert.equal((await repo().referrers(v1.digest, metricsArtifactType)).length, 1);
  });

  it('a pulled version verifies, registers with its lineage, and predicts exactly as the pushed one', async () => {
    const pulled = await fleetApi['models.pull']({ url: `oci://${host()}/hearth/churn:v1`, insecureHttp: true }, ctx);
    assert.deepEqual([pulled.model, pulled.version, pulled.registered], ['churn', 1, true]);
    assert.equal(pulled.digest, (await repo().getManifest('v1'))!.digest);
    const info = fleet.registry.version('churn', 1);
    const original = central.registry.version('churn', 1);
    assert.deepEqual(info.dataset, original.dataset, 'the lineage names the dataset it was trained on, elsewhere');
    assert.deepEqual(info.metrics, original.metrics);
    assert.equal(info.onnxDigest, original.onnxDigest);
    assert.deepEqual(info.origin, {
      url: `oci://${host()}/hearth/churn`,
      reference: 'v1',
      digest: pulled.digest,
      remoteVersion: 1,
      pulledAt: info.origin!.pulledAt,
    });
    const there = await centralApi['models.predict']({ name: 'churn', rows }, ctx);
    const here = await fleetApi['models.predict']({ name: 'churn', rows }, ctx);
    assert.deepEqual(withoutIds(here.predictions), withoutIds(there.predictions));
    // By digest: the same manifest is not registered twice.
    const again = await fleetApi['models.pull'](
      { url: `oci://${host()}/hearth/churn@${pulled.digest}`, insecureHttp: true },
      ctx,
    );
    assert.deepEqual([again.version, again.registered], [1, false]);
    // Pulled versions are not news for the registry: the fleet box queues nothing to send back, not even when it
    // points an alias at one.
    fleet.registry.promote('churn', 1, 'staging');
    assert.equal(fleet.sync.status().pending, 0);
    const report = await fleetApi['models.report']({ name: 'churn' }, ctx);
    assert.match(report.html, /Pulled from oci:\/\//);
  });

  it('a second box pushing its own model of the same name is refused, not allowed to replace v1', async () => {
    const other = Engine.open(`${tmp.dir}/other`);
    try {
      await other.datasets.ingestCsv('churn', writeFile(tmp.dir, 'other.csv', syntheticCsv('binary', 300, 99)));
      const job = other.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
      assert.equal((await other.trainer.wait(job.id)).status, 'succeeded');
      other.sync.addRemote('central', `oci://${host()}/hearth`, true);
      const [result] = await other.sync.push();
      assert.equal(result!.sent, 0);
      assert.match(result!.error ?? '', /holds another model/);
      assert.equal(other.sync.status().pending, 2, 'its events wait for an operator');
      const sentByCentral = central.db
        .prepare(
          `SELECT d.digest FROM deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE o.kind = 'model-version' AND o.version = 1`,
        )
        .get() as { digest: string };
      assert.equal((await repo().getManifest('v1'))!.digest, sentByCentral.digest, 'v1 is still the one central pushed');
    } finally {
      other.close();
    }
  });

  it('refuses what it cannot verify: an unknown reference, another digest, a blob that arrives altered', async () => {
    await assert.rejects(
      fleet.sync.pull(`oci://${host()}/hearth/churn:v9`, { insecureHttp: true }),
      (e: unknown) => e instanceof HearthError && e.code === 'NOT_FOUND',
    );
    await assert.rejects(
      fleet.sync.pull(`oci://${host()}/hearth/churn@${sha256Digest(Buffer.from('nothing'))}`, { insecureHttp: true }),
      (e: unknown) => e instanceof HearthError && e.code === 'NOT_FOUND',
    );
    // A registry (or a proxy) that swaps bytes is caught by the streamed digest check.
    const tampering = new OciClient(
      { baseUrl: registry.url, repository: 'hearth/churn' },
      { fetch: async () => new Response('not the blob', { status: 200 }) },
    );
    await assert.rejects(tampering.getBlob(sha256Digest(Buffer.from('the blob'))), /another digest/);
    await assert.rejects(
      fleet.sync.pull(`http://${host()}/hearth/churn:v1`),
      (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED',
    );
  });

  it('a followed alias hot-swaps serving when it moves, and a version that does not load leaves the old one serving', async () => {
    const follow = await fleetApi['remotes.follow']({ remote: 'central', model: 'churn', alias: 'production' }, ctx);
    assert.equal(follow.status, 'waiting');
    let [state] = await fleetApi['sync.follow']({}, ctx);
    assert.deepEqual([state!.status, state!.localVersion], ['current', 1]);

    // Central publishes v2 (a boosted model) and promotes it.
    assert.equal(await train('gbdt', 2), 2);
    central.registry.promote('churn', 2);
    assert.equal((await central.sync.push())[0]!.error, null);
    // Two checks at once (a caller's sync.follow beside the background loop's) run one after the other: v2 is
    // pulled and registered once, not twice (as v2 and v3) by two checks that each saw the alias move.
    const both = await Promise.all([fleetApi['sync.follow']({}, ctx), fleetApi['sync.follow']({}, ctx)]);
    for (const [s] of both) assert.deepEqual([s!.status, s!.localVersion, s!.lastError], ['current', 2, null]);
    assert.deepEqual(
      fleet.registry.versions('churn').map((v) => v.version),
      [2, 1],
    );
    const served = await fleetApi['models.predict']({ name: 'churn', rows }, ctx);
    assert.equal(served.version, 2, 'serving moved to v2 without a restart');
    assert.deepEqual(
      withoutIds(served.predictions),
      withoutIds((await centralApi['models.predict']({ name: 'churn', rows }, ctx)).predictions),
    );
    // A pulled tree model explains itself too: the native layer carries the trees TreeSHAP reads.
    assert.deepEqual(
      withoutIds((await fleetApi['models.predict']({ name: 'churn', rows, explain: true }, ctx)).predictions),
      withoutIds((await centralApi['models.predict']({ name: 'churn', version: 2, rows, explain: true }, ctx)).predictions),
    );

    // Someone publishes a broken production: every digest is right, but the graph is garbage.
    const good = (await repo().getManifest('v2'))!;
    const garbage = await repo().uploadBlob(randomBytes(4096));
    const broken = {
      ...good.manifest,
      layers: good.manifest.layers.map((l) =>
        l.annotations?.['org.opencontainers.image.title'] === 'model.onnx'
          ? { ...l, digest: garbage.digest, size: garbage.size }
          : l,
      ),
    };
    await repo().putManifest('production', broken);
    [state] = await fleetApi['sync.follow']({}, ctx);
    assert.equal(state!.status, 'rolled-back');
    assert.equal(state!.localVersion, 2);
    assert.match(state!.lastError ?? '', /does not load/);
    assert.equal((await fleetApi['models.predict']({ name: 'churn', rows }, ctx)).version, 2, 'v2 serves on');
    assert.equal(fleet.registry.versions('churn').length, 2, 'the broken artifact was not registered');
    // Checked again, the same broken digest is not pulled again; the state stays rolled back.
    [state] = await fleetApi['sync.follow']({}, ctx);
    assert.equal(state!.status, 'rolled-back');

    // Central rolls back to v1: the fleet box follows to the version it already has.
    await repo().putManifest('production', (await repo().getManifest('v1'))!.manifest);
    [state] = await fleetApi['sync.follow']({}, ctx);
    assert.deepEqual([state!.status, state!.localVersion], ['current', 1]);
    assert.equal((await fleetApi['models.predict']({ name: 'churn', rows }, ctx)).version, 1);
  });

  it("a fleet box's snapshot of a pulled version goes back to the repository it came from, as that manifest's referrer", async () => {
    const snapshot = await fleetApi['models.evaluate']({ name: 'churn', version: 2, path: `${tmp.dir}/labelled.csv` }, ctx);
    assert.deepEqual(
      (await fleet.sync.push()).map((r) => [r.sent, r.error]),
      [[1, null]],
    );
    const remote = await central.sync.remoteSnapshots(`oci://${host()}/hearth/churn:v2`, true);
    assert.deepEqual(
      remote.map((s) => [s.version, s.dataHash, s.metrics]),
      [[2, snapshot.dataHash, snapshot.metrics]],
    );
    // The central box evaluates the same version on the same data: the same numbers, a second referrer.
    await centralApi['models.evaluate']({ name: 'churn', version: 2, path: `${tmp.dir}/labelled.csv` }, ctx);
    await central.sync.push();
    const both = await central.sync.remoteSnapshots(`oci://${host()}/hearth/churn:v2`, true);
    assert.equal(both.length, 2);
    assert.deepEqual(both[0]!.metrics, both[1]!.metrics);
  });

  it('the CLI pulls, follows, evaluates and reports sync status as JSON', () => {
    const dir = `${tmp.dir}/cli-box`;
    const hearth = (...args: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...args, '--data-dir', dir, '--json'], {
        encoding: 'utf8',
        env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      });
      return {
        status: r.status,
        json: r.stdout.trim() === '' ? null : (JSON.parse(r.stdout) as Record<string, unknown>),
        stderr: r.stderr,
      };
    };
    const pulled = hearth('pull', `oci://${host()}/hearth/churn:v2`, '--insecure-http', '--alias', 'candidate');
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.deepEqual(
      [pulled.json!.model, pulled.json!.version, pulled.json!.registered, pulled.json!.alias],
      ['churn', 2, true, 'candidate'],
    );
    assert.equal(hearth('remote', 'add', 'central', `oci://${host()}/hearth`, '--insecure-http').status, 0);
    const follow = hearth('remote', 'follow', 'central', 'churn', '--alias', 'production');
    assert.equal(follow.status, 0, follow.stderr);
    assert.deepEqual([follow.json!.status, follow.json!.localVersion], ['current', 1]);
    const evaluated = hearth('evaluate', '--model', 'churn@2', `${tmp.dir}/labelled.csv`);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.equal(evaluated.json!.rows, 200);
    const status = hearth('sync', 'status');
    assert.deepEqual(Object.keys(status.json!).sort(), ['failed', 'follows', 'lastError', 'pending', 'remotes', 'sent']);
    // Only the snapshot waits: pulled versions and followed aliases are not sent back.
    assert.equal(status.json!.pending, 1);
    const bad = hearth('pull', 'oci://nowhere/x');
    assert.equal(bad.status, 1);
    assert.match(`${JSON.stringify(bad.json)} ${bad.stderr}`, /VALIDATION_FAILED/);
  });

  it('remotes and follows come from the config file, secrets from files; a bad file is a clear coded error', () => {
    const dir = `${tmp.dir}/provisioned`;
    mkdirSync(dir);
    const password = writeFile(tmp.dir, 'registry-password', 'p4ss-from-file\n');
    writeFile(
      dir,
      'hearth.config.json',
      JSON.stringify({
        remotes: [
          { name: 'central', url: `oci://${host()}/hearth`, insecureHttp: true, username: 'box7', passwordFile: password },
        ],
        follow: [{ remote: 'central', model: 'churn', alias: 'production' }],
      }),
    );
    const box = Engine.open(dir);
    try {
      const [remote] = box.sync.listRemotes();
      assert.deepEqual([remote!.name, remote!.authenticated], ['central', true]);
      assert.deepEqual(
        box.sync.listFollows().map((f) => [f.remote, f.model, f.alias, f.status]),
        [['central', 'churn', 'production', 'waiting']],
      );
    } finally {
      box.close();
    }
    // Opening again applies the same file without duplicating anything.
    const again = Engine.open(dir);
    assert.equal(again.sync.listRemotes().length, 1);
    again.close();
    writeFile(dir, 'hearth.config.json', JSON.stringify({ remotes: [{ name: 'central', url: 'https://nope' }] }));
    assert.throws(
      () => Engine.open(dir),
      (e: unknown) =>
        e instanceof HearthError &&
        e.code === 'VALIDATION_FAILED' &&
        /hearth\.config\.json/.test(e.message) &&
        /oci:\/\//.test(e.message),
    );
  });
});
