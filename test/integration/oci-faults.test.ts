import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers } from '../../main/api/handlers.js';
import { Engine } from '../../main/engine/engine.js';
import { metricsArtifactType } from '../../main/sync/artifact.js';
import { OciClient, referrersTag } from '../../main/sync/oci-client.js';
import { syntheticCsv, tempDir, until, withoutIds, writeFile } from '../helpers.js';
import { registrySkip as skip, startFaultProxy, startRegistry } from './registry-harness.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const ctx = { transport: 'in-process' } as const;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, output })));
}

/** A deterministic stream of numbers in [0, 1) (the fault plans must fail the same way on every run). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * What exactly-once means, checked on the registry's side: the tags are exactly the versions, the aliases and
 * one referrers tag per version with snapshots; every delivered digest is the one the registry holds under its
 * tag; each version's graph is the local one byte for byte; each snapshot is listed once.
 */
async function assertDeliveredOnce(
  engine: Engine,
  remote: string,
  client: OciClient,
  expected: { production: number },
): Promise<void> {
  const status = engine.sync.status().remotes.find((r) => r.name === remote)!;
  assert.deepEqual([status.pending, status.lastError], [0, null]);
  const events = engine.db.prepare('SELECT id, kind, version, alias FROM outbox ORDER BY id').all() as {
    id: number;
    kind: string;
    version: number;
    alias: string | null;
  }[];
  const sent = engine.db.prepare(`SELECT outbox_id, digest FROM deliveries WHERE remote = ? AND status = 'sent'`).all(remote) as {
    outbox_id: number;
    digest: string;
  }[];
  assert.deepEqual(
    sent.map((s) => s.outbox_id).sort((a, b) => a - b),
    events.map((e) => e.id),
    'every event delivered, none twice',
  );
  const versions = engine.registry.versions('churn').map((v) => v.version);
  const snapshotSubjects = new Set(events.filter((e) => e.kind === 'metrics').map((e) => e.version));
  const digests = new Map<number, string>();
  for (const v of versions) digests.set(v, (await client.getManifest(`v${v}`))!.digest);
  const expectedTags = [
    ...versions.map((v) => `v${v}`),
    'production',
    ...[...snapshotSubjects].map((v) => referrersTag(digests.get(v)!)),
  ].sort();
  assert.deepEqual((await client.listTags()).sort(), expectedTags, 'no missing and no extra tags');
  for (const e of events) {
    const digest = sent.find((s) => s.outbox_id === e.id)!.digest;
    if (e.kind === 'model-version') assert.equal(digest, digests.get(e.version), `v${e.version} is the manifest that was sent`);
    if (e.kind === 'metrics') {
      const listed = await client.referrers(digests.get(e.version)!, metricsArtifactType);
      assert.deepEqual(
        listed.map((d) => d.digest),
        [digest],
        'each snapshot listed once',
      );
    }
  }
  for (const v of versions) {
    const manifest = (await client.getManifest(`v${v}`))!.manifest;
    const onnx = manifest.layers.find((l) => l.annotations?.['org.opencontainers.image.title'] === 'model.onnx')!;
    assert.deepEqual(await client.getBlob(onnx.digest, onnx.size), engine.registry.onnxBytes('churn', v));
  }
  assert.equal((await client.getManifest('production'))!.digest, digests.get(expected.production));
}

describe('sync under faults: 500s, resets, slow answers, a registry restart, a SIGKILL mid-upload', { skip }, () => {
  const tmp = tempDir();
  let engine: Engine;

  before(async () => {
    engine = Engine.open(`${tmp.dir}/data`);
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 2000)));
    writeFile(tmp.dir, 'labelled.csv', syntheticCsv('binary', 300, 5));
    // Three versions (two of them boosted, whose graphs span many upload chunks), a promotion and a snapshot.
    for (const [algorithm, seed] of [
      ['linear', 1],
      ['gbdt', 2],
      ['gbdt', 3],
    ] as const) {
      const job = engine.trainer.start({
        dataset: 'churn',
        target: 'label',
        algorithm,
        model: 'churn',
        seed,
        ...(algorithm === 'gbdt' ? { trees: 150, earlyStoppingRounds: 0 } : {}),
      });
      assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
    }
    engine.registry.promote('churn', 3);
    await createHandlers(engine)['models.evaluate']({ name: 'churn', version: 3, path: `${tmp.dir}/labelled.csv` }, ctx);
    // Small chunks and a short deadline, so every blob takes several requests and a slow answer counts as a fault.
    engine.sync.clientOptions = { chunkSize: 16 * 1024, timeoutMs: 400 };
  });
  after(() => {
    engine?.close();
    tmp.cleanup();
  });

  it('500s, connection resets and answers slower than the deadline: everything arrives once, in order', async (t) => {
    const started = Date.now();
    const registry = await startRegistry(`${tmp.dir}/r1`);
    const proxy = await startFaultProxy(registry.url);
    try {
      const random = seeded(42);
      // A quarter of the first 200 requests fail (a 500, a reset, or an answer after the deadline); a tenth of the
      // rest of those are slow but in time. Then the link heals.
      proxy.plan = (n) => {
        if (n > 200) return 'pass';
        const r = random();
        return r < 0.08 ? 'fail-500' : r < 0.16 ? 'reset' : r < 0.25 ? { delayMs: 700 } : r < 0.35 ? { delayMs: 150 } : 'pass';
      };
      engine.sync.addRemote('flaky', `oci://${proxy.url.slice('http://'.length)}/fleet`, true);
      engine.sync.start({ intervalMs: 20, baseDelayMs: 20, maxDelayMs: 200 });
      await until(
        () => engine.sync.status().remotes.find((r) => r.name === 'flaky')!.pending === 0,
        'the outbox to drain',
        60_000,
      );
      await engine.sync.stop();
      const faults = new Set(proxy.seen.map((s) => s.fault));
      for (const kind of ['fail-500', 'reset', 'delay 700']) assert.ok(faults.has(kind), `the plan injected ${kind}`);
      const retried = engine.db.prepare(`SELECT MAX(attempts) AS n FROM deliveries WHERE remote = 'flaky'`).get() as {
        n: number;
      };
      assert.ok(retried.n > 1, 'some events needed more than one attempt');
      const count = (fault: string) => proxy.seen.filter((s) => s.fault === fault).length;
      t.diagnostic(
        `${proxy.seen.length} requests: ${count('fail-500')} answered 500, ${count('reset')} reset, ${count('delay 700')} ` +
          `past the deadline, ${count('delay 150')} slow in time; at most ${retried.n} attempts for one event; ` +
          `drained in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      await assertDeliveredOnce(engine, 'flaky', new OciClient({ baseUrl: registry.url, repository: 'fleet/churn' }), {
        production: 3,
      });
    } finally {
      await engine.sync.stop();
      await proxy.close();
      registry.child.kill();
    }
  });

  it('the registry stopped mid-push and started again: the push goes on and delivers everything once', async () => {
    const dir = `${tmp.dir}/r2`;
    let registry = await startRegistry(dir);
    const port = Number(new URL(registry.url).port);
    const proxy = await startFaultProxy(registry.url);
    let patches = 0;
    const restart: { done: Promise<void> | null } = { done: null };
    try {
      proxy.plan = (_n, method) => {
        // At the fifth chunk the registry goes down; it comes back on the same port and storage 1.5 s later.
        if (method === 'PATCH' && ++patches === 5) {
          registry.child.kill('SIGKILL');
          restart.done = new Promise((resolve) => setTimeout(resolve, 1500)).then(async () => {
            registry = await startRegistry(dir, port);
          });
        }
        return 'pass';
      };
      engine.sync.addRemote('restarting', `oci://${proxy.url.slice('http://'.length)}/fleet`, true);
      engine.sync.start({ intervalMs: 20, baseDelayMs: 100, maxDelayMs: 400 });
      await until(() => restart.done !== null, 'the registry to be stopped');
      await until(
        () => engine.sync.status().remotes.find((r) => r.name === 'restarting')!.lastError !== null,
        'a failed attempt while it is down',
      );
      await restart.done;
      await until(() => engine.sync.status().remotes.find((r) => r.name === 'restarting')!.pending === 0, 'the outbox to drain');
      await engine.sync.stop();
      await assertDeliveredOnce(engine, 'restarting', new OciClient({ baseUrl: registry.url, repository: 'fleet/churn' }), {
        production: 3,
      });
    } finally {
      await engine.sync.stop();
      await proxy.close();
      registry.child.kill();
    }
  });

  it('Hearth killed with SIGKILL mid-upload resumes at the offset the registry holds, and the pulled model predicts the same', async (t) => {
    const registry = await startRegistry(`${tmp.dir}/r3`);
    const proxy = await startFaultProxy(registry.url);
    let child: ChildProcess | null = null;
    try {
      // Slow chunks, so the process is surely mid-upload when it is killed.
      proxy.plan = (_n, method) => (method === 'PATCH' ? { delayMs: 120 } : 'pass');
      engine.sync.addRemote('crashy', `oci://${proxy.url.slice('http://'.length)}/fleet`, true);
      const dataDir = `${tmp.dir}/data`;
      const env = { ...process.env, HEARTH_SYNC_CHUNK_BYTES: String(8 * 1024), ORT_DISABLE_TELEMETRY: '1' };
      child = spawn(process.execPath, [bin, 'sync', 'push', '--remote', 'crashy', '--data-dir', dataDir], {
        env,
        stdio: 'ignore',
      });
      const watcher = new Database(`${dataDir}/hearth.db`, { readonly: true });
      let saved: { digest: string; url: string; offset: number } | undefined;
      try {
        await until(() => {
          saved = watcher
            .prepare(`SELECT digest, url, offset FROM upload_sessions WHERE remote = 'crashy' AND offset >= 16384`)
            .get() as typeof saved;
          return saved !== undefined;
        }, 'an upload two chunks in');
      } finally {
        watcher.close();
      }
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      const before = proxy.seen.length;
      proxy.plan = () => 'pass';
      // Not spawnSync: the proxy lives in this process and must go on answering while the CLI runs.
      const again = await run(
        process.execPath,
        [bin, 'sync', 'push', '--remote', 'crashy', '--data-dir', dataDir, '--json'],
        env,
      );
      assert.equal(again.status, 0, again.output);
      // The restarted process asked the registry where the saved upload stood, sent only what it lacked (if
      // anything: the last chunk may have landed just before the kill), and closed that same session.
      const session = new URL(saved!.url).pathname;
      const after = proxy.seen.slice(before).filter((s) => s.path.startsWith(session));
      assert.equal(after[0]?.method, 'GET', 'first it asks for the offset');
      for (const patch of after.filter((s) => s.method === 'PATCH')) {
        const start = Number(/^(\d+)-/.exec(patch.contentRange ?? '')?.[1]);
        assert.ok(start >= saved!.offset, `resumed at byte ${start}, the saved offset was ${saved!.offset}`);
      }
      t.diagnostic(
        `killed with ${saved!.offset} bytes of ${saved!.digest.slice(0, 19)}… saved; the restart sent ` +
          `${
            after
              .filter((s) => s.method === 'PATCH')
              .map((s) => s.contentRange)
              .join(', ') || 'nothing more (the registry had it all)'
          }`,
      );
      const close = after.find((s) => s.method === 'PUT');
      assert.ok(
        close !== undefined && close.path.includes(`digest=${encodeURIComponent(saved!.digest)}`),
        'the same session is closed',
      );
      await assertDeliveredOnce(engine, 'crashy', new OciClient({ baseUrl: registry.url, repository: 'fleet/churn' }), {
        production: 3,
      });
      const box = Engine.open(`${tmp.dir}/box`);
      try {
        await box.sync.pull(`oci://${registry.url.slice('http://'.length)}/fleet/churn:production`, { insecureHttp: true });
        const rows = [
          { x1: 0.3, x2: 1.5, colour: 'green', flag: 'false' },
          { x1: -0.4, x2: 6.2, colour: 'red', flag: 'true' },
        ];
        assert.deepEqual(
          withoutIds((await createHandlers(box)['models.predict']({ name: 'churn', rows }, ctx)).predictions),
          withoutIds((await createHandlers(engine)['models.predict']({ name: 'churn', version: 3, rows }, ctx)).predictions),
        );
      } finally {
        box.close();
      }
    } finally {
      child?.kill('SIGKILL');
      await proxy.close();
      registry.child.kill();
    }
  });
});
