import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HearthError } from '../../main/contracts/errors.js';
import { OciClient, manifestMediaType, parseChallenge, sha256Digest, type ImageManifest } from '../../main/sync/oci-client.js';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';
import { freePort, registrySkip as skip, startRegistry, startTokenService } from './registry-harness.js';

describe('OCI distribution client against a real registry', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  before(async () => {
    registry = await startRegistry(tmp.dir);
  });
  after(() => {
    registry?.child.kill();
    tmp.cleanup();
  });
  const client = (chunkSize = 1024 * 1024) =>
    new OciClient({ baseUrl: registry.url, repository: 'hearth/models' }, { chunkSize });

  it('uploads a blob in chunks, finds it by HEAD, skips it the second time, and reads it back intact', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const digest = sha256Digest(data);
    assert.equal(await client().hasBlob(digest), false);
    const chunks: number[] = [];
    const pushed = await client().uploadBlob(data, null, (s) => chunks.push(s.offset));
    assert.equal(pushed.digest, digest);
    assert.deepEqual(chunks, [1048576, 2097152, 3145728, data.length]);
    assert.equal(await client().hasBlob(digest), true);
    assert.equal((await client().uploadBlob(data)).resumedAt, data.length, 'an existing blob is not sent again');
    assert.deepEqual(Buffer.from(await client().getBlob(digest)), data);
  });

  it('resumes an interrupted upload from the offset the registry reports', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    let saved: { uploadUrl: string; offset: number } | null = null;
    // The first process "dies" after two chunks: its chunk callback throws, as a SIGKILL would stop it.
    await assert.rejects(
      client().uploadBlob(data, null, (state) => {
        saved = state;
        if (state.offset >= 2 * 1024 * 1024) throw new Error('killed');
      }),
      /killed/,
    );
    assert.ok(saved !== null);
    const { uploadUrl, offset } = saved as { uploadUrl: string; offset: number };
    assert.equal(await client().uploadOffset(uploadUrl), offset);
    // A new client (a restarted process) goes on from there.
    const resumed = await client().uploadBlob(data, uploadUrl);
    assert.equal(resumed.resumedAt, 2 * 1024 * 1024);
    assert.deepEqual(Buffer.from(await client().getBlob(resumed.digest)), data);
  });

  it('puts an artifact manifest under a tag, reads it back by tag and by digest, and lists the tags', async () => {
    const config = Buffer.from(JSON.stringify({ task: 'binary', algorithm: 'gbdt' }));
    const model = randomBytes(10_000);
    const configDescriptor = await client().uploadBlob(config);
    const modelDescriptor = await client().uploadBlob(model);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: manifestMediaType,
      artifactType: 'application/vnd.hearth.model.v1+json',
      config: { mediaType: 'application/vnd.hearth.model.config.v1+json', digest: configDescriptor.digest, size: config.length },
      layers: [
        {
          mediaType: 'application/vnd.onnx.model',
          digest: modelDescriptor.digest,
          size: model.length,
          annotations: { 'org.opencontainers.image.title': 'model.onnx' },
        },
      ],
    };
    const digest = await client().putManifest('v1', manifest);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const byTag = await client().getManifest('v1');
    assert.deepEqual(byTag?.manifest, manifest);
    assert.equal(byTag?.digest, digest);
    assert.deepEqual((await client().getManifest(digest))?.manifest, manifest);
    assert.deepEqual(await client().listTags(), ['v1']);
    assert.equal(await client().getManifest('v2'), null);
  });

  it('an unreachable registry is a coded UNAVAILABLE error, not a crash', async () => {
    const port = await freePort();
    const offline = new OciClient({ baseUrl: `http://127.0.0.1:${port}`, repository: 'hearth/models' });
    await assert.rejects(
      offline.hasBlob(sha256Digest(Buffer.from('x'))),
      (e: unknown) => e instanceof HearthError && e.code === 'UNAVAILABLE',
    );
  });
});

describe('sync agent: the outbox to a real registry', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  let engine: Engine;
  before(async () => {
    registry = await startRegistry(`${tmp.dir}/registry`);
    engine = Engine.open(`${tmp.dir}/data`);
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 600)));
  });
  after(() => {
    engine?.close();
    registry?.child.kill();
    tmp.cleanup();
  });
  const train = async (): Promise<number> => {
    const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
    const done = await engine.trainer.wait(job.id);
    assert.equal(done.status, 'succeeded');
    return done.result!.version;
  };
  const remoteClient = () => new OciClient({ baseUrl: registry.url, repository: 'hearth/churn' });

  it('queues events while no remote is reachable and keeps them after a failed push', async () => {
    await train();
    const port = await freePort();
    engine.sync.addRemote('offline', `oci://127.0.0.1:${port}/hearth`, true);
    const [result] = await engine.sync.push('offline');
    assert.equal(result!.sent, 0);
    assert.match(result!.error ?? '', /unreachable/);
    const offline = engine.sync.status().remotes.find((r) => r.name === 'offline')!;
    // v1 and its production alias, still pending, with the error in plain words.
    assert.equal(offline.pending, 2);
    assert.match(offline.lastError ?? '', /unreachable/);
    engine.sync.removeRemote('offline');
  });

  it('pushes each version as an OCI artifact and each alias as a tag, exactly once', async () => {
    engine.sync.addRemote('central', `oci://${registry.url.slice('http://'.length)}/hearth`, true);
    assert.deepEqual(
      (await engine.sync.push()).map((r) => [r.remote, r.sent, r.error]),
      [['central', 2, null]],
    );
    const client = remoteClient();
    assert.deepEqual((await client.listTags()).sort(), ['production', 'v1']);
    const v1 = (await client.getManifest('v1'))!;
    assert.equal(v1.manifest.artifactType, 'application/vnd.hearth.model.v1+json');
    assert.deepEqual(
      v1.manifest.layers.map((l) => l.annotations?.['org.opencontainers.image.title']),
      ['model.onnx', 'MODEL_CARD.md', 'evaluation.json', 'model.hearth.json'],
    );
    assert.equal((await client.getManifest('production'))!.digest, v1.digest);
    // The pulled graph is the registered one, byte for byte, so it predicts exactly as the local model.
    const info = engine.registry.version('churn', 1);
    assert.deepEqual(Buffer.from(await client.getBlob(v1.manifest.layers[0]!.digest)), engine.blobs.get(info.onnxDigest));
    const config = JSON.parse(Buffer.from(await client.getBlob(v1.manifest.config.digest)).toString('utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(config.target, 'label');
    assert.deepEqual(config.metrics, info.metrics);
    // Nothing is sent twice.
    assert.equal((await engine.sync.push())[0]!.sent, 0);
    assert.equal(engine.sync.status().pending, 0);
  });

  it('a new version and a promotion reach the remote in order; the alias tag follows', async () => {
    const version = await train();
    assert.equal(version, 2);
    engine.registry.promote('churn', 2);
    assert.equal((await engine.sync.push())[0]!.sent, 2);
    const client = remoteClient();
    assert.deepEqual((await client.listTags()).sort(), ['production', 'v1', 'v2']);
    assert.equal((await client.getManifest('production'))!.digest, (await client.getManifest('v2'))!.digest);
    engine.registry.rollback('churn');
    assert.equal((await engine.sync.push())[0]!.sent, 1);
    assert.equal((await client.getManifest('production'))!.digest, (await client.getManifest('v1'))!.digest);
    const status = engine.sync.status();
    assert.deepEqual([status.pending, status.sent], [0, 5]);
  });

  it('the background agent retries with backoff while a registry is down and delivers everything once it is up', async () => {
    const port = await freePort();
    engine.sync.addRemote('later', `oci://127.0.0.1:${port}/fleet`, true);
    engine.sync.start({ intervalMs: 100, baseDelayMs: 300, maxDelayMs: 1000 });
    let late: { child: ChildProcess; url: string } | null = null;
    try {
      await new Promise((resolve) => setTimeout(resolve, 800));
      const waiting = engine.sync.status().remotes.find((r) => r.name === 'later')!;
      assert.equal(waiting.pending, 5, 'every event is still queued');
      assert.ok(waiting.failed >= 1 && waiting.lastError !== null);
      // Backoff: a handful of attempts in 0.8 s at a 0.1 s tick, not eight.
      const attempts = engine.db.prepare(`SELECT attempts FROM deliveries WHERE remote = 'later'`).get() as { attempts: number };
      assert.ok(attempts.attempts >= 1 && attempts.attempts <= 4, `attempts ${attempts.attempts}`);
      late = await startRegistry(`${tmp.dir}/late-registry`, port);
      for (let i = 0; i < 100 && engine.sync.status().remotes.find((r) => r.name === 'later')!.pending > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const done = engine.sync.status().remotes.find((r) => r.name === 'later')!;
      assert.deepEqual([done.pending, done.sent], [0, 5]);
      const client = new OciClient({ baseUrl: late.url, repository: 'fleet/churn' });
      assert.deepEqual((await client.listTags()).sort(), ['production', 'v1', 'v2']);
      // Replayed in order: the last alias event (the rollback) decides where production points.
      assert.equal((await client.getManifest('production'))!.digest, (await client.getManifest('v1'))!.digest);
    } finally {
      await engine.sync.stop();
      late?.child.kill();
    }
  });
});

describe('sync to a registry that requires a password (htpasswd, Basic)', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  let engine: Engine;
  before(async () => {
    // A bcrypt entry, as docker-registry requires, made with the system's crypt(3) (libxcrypt).
    const hash = spawnSync(
      'python3',
      ['-W', 'ignore', '-c', "import crypt; print(crypt.crypt('s3cret-pass', crypt.mksalt(crypt.METHOD_BLOWFISH)))"],
      { encoding: 'utf8' },
    ).stdout.trim();
    assert.match(hash, /^\$2[aby]\$/);
    registry = await startRegistry(`${tmp.dir}/registry`, undefined, `hearth:${hash}\n`);
    engine = Engine.open(`${tmp.dir}/data`);
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 400)));
    const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
    assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
  });
  after(() => {
    engine?.close();
    registry?.child.kill();
    tmp.cleanup();
  });
  const hostPath = () => `oci://${registry.url.slice('http://'.length)}/hearth`;

  it('wrong credentials give a clear error and keep the events queued; the right ones deliver them', async () => {
    engine.sync.addRemote('central', hostPath(), true, { username: 'hearth', password: 'wrong' });
    const [refused] = await engine.sync.push();
    assert.equal(refused!.sent, 0);
    assert.match(refused!.error ?? '', /refused the credentials/);
    assert.equal(engine.sync.status().pending, 2);
    engine.sync.removeRemote('central');
    const remote = engine.sync.addRemote('central', hostPath(), true, { username: 'hearth', password: 's3cret-pass' });
    assert.equal(remote.authenticated, true);
    assert.ok(!JSON.stringify(remote).includes('s3cret-pass'), 'credentials are never returned');
    assert.deepEqual(
      (await engine.sync.push()).map((r) => [r.sent, r.error]),
      [[2, null]],
    );
    const client = new OciClient({
      baseUrl: registry.url,
      repository: 'hearth/churn',
      credentials: { username: 'hearth', password: 's3cret-pass' },
    });
    assert.deepEqual((await client.listTags()).sort(), ['production', 'v1']);
    await assert.rejects(
      new OciClient({ baseUrl: registry.url, repository: 'hearth/churn' }).listTags(),
      /user name and password/,
    );
  });

  it('stores the password sealed: neither the database nor its WAL holds it in clear', () => {
    engine.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of readdirSync(`${tmp.dir}/data`).filter((f) => f.startsWith('hearth.db'))) {
      assert.ok(!readFileSync(`${tmp.dir}/data/${file}`).includes('s3cret-pass'), `${file} holds the password`);
    }
    const sealed = engine.db.prepare(`SELECT credentials FROM remotes WHERE name = 'central'`).get() as { credentials: string };
    assert.match(sealed.credentials, /^v1:/);
  });
});

describe('sync to a registry behind a token service (the bearer flow of Docker Hub, GHCR, Harbor)', { skip }, () => {
  const tmp = tempDir();
  let registry: { child: ChildProcess; url: string };
  let tokens: Awaited<ReturnType<typeof startTokenService>>;
  let engine: Engine;
  before(async () => {
    tokens = await startTokenService(`${tmp.dir}/token`, { name: 'box7', password: 't0ken-pass' });
    registry = await startRegistry(`${tmp.dir}/registry`, undefined, undefined, tokens);
    engine = Engine.open(`${tmp.dir}/data`);
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 400)));
    const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
    assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
  });
  after(async () => {
    engine?.close();
    registry?.child.kill();
    await tokens?.close();
    tmp.cleanup();
  });
  const hostPath = () => `oci://${registry.url.slice('http://'.length)}/hearth`;

  it('answers the challenge with a token for the scope it names, pushes, and pulls back with the same sign-in', async () => {
    const challenge = (await fetch(`${registry.url}/v2/`)).headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm=/);
    // The token service listens on another port than the registry: it is named, or it would get no credentials.
    engine.sync.addRemote('wrong', hostPath(), true, { username: 'box7', password: 'nope', tokenService: tokens.realm });
    const [refused] = await engine.sync.push('wrong');
    assert.match(refused!.error ?? '', /token service refused the credentials \(401\)/);
    engine.sync.removeRemote('wrong');
    engine.sync.addRemote('central', hostPath(), true, { username: 'box7', password: 't0ken-pass', tokenService: tokens.realm });
    assert.deepEqual(
      (await engine.sync.push()).map((r) => [r.sent, r.error]),
      [[2, null]],
    );
    // The registry names the actions in either order.
    assert.ok(
      tokens.issued.some((scope) => /^repository:hearth\/churn:(pull,push|push,pull)$/.test(scope)),
      tokens.issued.join('; '),
    );
    const box = Engine.open(`${tmp.dir}/box`);
    try {
      box.sync.addRemote('central', hostPath(), true, { username: 'box7', password: 't0ken-pass', tokenService: tokens.realm });
      const pulled = await box.sync.pull(`${hostPath()}/churn:production`);
      assert.deepEqual([pulled.model, pulled.version, pulled.registered], ['churn', 1, true]);
    } finally {
      box.close();
    }
  });
});

describe('WWW-Authenticate challenges', () => {
  it('parses Basic and Bearer challenges with their parameters', () => {
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.example.org/token",service="registry.example.org",scope="repository:hearth/models:pull,push"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example.org/token',
          service: 'registry.example.org',
          scope: 'repository:hearth/models:pull,push',
        },
      },
    );
  });
});
