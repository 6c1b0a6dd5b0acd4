import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { redactText, redactUrl, redactWebhook } from '../../main/security/redact.js';
import { redactDefinition } from '../../main/data/pipeline.js';
import { readQuery } from '../../main/data/sql-source.js';
import { HearthError } from '../../main/contracts/errors.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, waitForJob, type Harness } from './harness.js';
import { freePort } from './registry-harness.js';

/**
 * Secrets a pipeline file, a remote or an alert rule holds never reach a viewer (issue "Close every way in", item 3):
 * not through any read method, an error message, nor the audit log. Everything runs against a real server.
 */
describe('secrets are never returned to a viewer', () => {
  let h: Harness;
  let viewer: Client;
  let analyst: Client;
  let closedPort: number;
  // Each secret is distinctive, so finding it anywhere in an answer is a leak.
  const secrets = [
    'Pg-s3cret-pw',
    'Ssl-k3y-s3cret',
    'Fold-s3cret-pw',
    'Hook-s3cret-path',
    'Hook-t0ken-s3cret',
    'Pull-s3cret-pw',
    'Legacy-s3cret-pw',
  ];
  const leaked = (value: unknown): string[] => {
    const text = JSON.stringify(value);
    return secrets.filter((s) => text.includes(s));
  };
  const pipeline = (from: string, extra = ''): string => `name: orders-sync
sources:
  orders:
    query: SELECT * FROM orders
    from: ${from}
    into: orders_raw
steps:
  - from: orders${extra}
output: orders_clean
`;

  before(async () => {
    h = await startHarness('http');
    closedPort = await freePort();
    const clientFor = (role: 'viewer' | 'analyst'): Client =>
      createClient(httpTransport({ baseUrl: h.server!.url, token: h.engine.access.createToken(`${role}-1`, role).token }));
    viewer = clientFor('viewer');
    analyst = clientFor('analyst');

    // A pipeline whose SQL source names a password and an sslpassword; the CLI runs it (the database is down).
    const plain = pipeline(`postgres://hearth:Pg-s3cret-pw@127.0.0.1:${closedPort}/shop?sslpassword=Ssl-k3y-s3cret`);
    await assert.rejects(h.engine.pipelines.run(plain, { allowLocalSources: true }), /cannot reach/);
    // The same source spelt so that no text scan finds the URL whole: a double-quoted YAML string folded mid-URL.
    const folded = pipeline(`"postgres://hearth:Fold-s3cret-pw\\\n      @127.0.0.1:${closedPort}/shop"`, '\n  - select: [id]');
    await assert.rejects(h.engine.pipelines.run(folded, { allowLocalSources: true }), /cannot reach/);

    // A dataset version whose recorded source quotes a connection string whole (as one recorded before redaction).
    await h.engine.datasets.appendRecords('legacy', [{ id: 1 }], 'postgres://hearth:Legacy-s3cret-pw@db/shop SELECT id FROM t');

    // A remote with sealed credentials, and an alert whose webhook's path and query are its key.
    await h.client.call('remotes.add', {
      name: 'central',
      url: `oci://127.0.0.1:${closedPort}/hearth`,
      insecureHttp: true,
      username: 'box',
      password: 'Reg-s3cret-pw',
    });
    await h.client.call('remotes.follow', { remote: 'central', model: 'churn', alias: 'production' });
    await h.client.call('sync.follow', {});
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'churn.csv', syntheticCsv('binary', 200)));
    const job = await h.client.call('training.start', { dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
    assert.equal((await waitForJob(h.client, job.id)).status, 'succeeded');
    await h.client.call('alerts.add-rule', {
      name: 'latency',
      model: 'churn',
      kind: 'latency',
      threshold: 100,
      webhook: 'https://hooks.example.org/services/T0/B0/Hook-s3cret-path?token=Hook-t0ken-s3cret',
    });
  });
  after(async () => h?.close());

  it('redacts connection strings, webhooks and free text the documented way', () => {
    assert.equal(
      redactUrl('postgres://user:pw@db.example.org:5432/shop?sslpassword=x'),
      'postgres://user:***@db.example.org:5432/shop',
    );
    assert.equal(redactUrl('postgres://user@db/shop'), 'postgres://user@db/shop');
    assert.equal(redactUrl('https://ghp_token@github.com/x'), 'https://***@github.com/x');
    assert.equal(redactUrl('postgres://u:p@ss@h1,h2/db'), 'postgres://u:***@h1,h2/db');
    assert.equal(redactWebhook('https://hooks.slack.com/services/T/B/XYZ?a=1'), 'https://hooks.slack.com/…');
    assert.equal(
      redactText('cannot reach (postgres://u:pw@h/db?x=1), password=hunter2 done'),
      'cannot reach (postgres://u:***@h/db), password=*** done',
    );
    // Spellings a red team found past the first scan: passwords with a space, a quote, a bracket or a backtick,
    // quoted and spaced key-value pairs, and a webhook written with backslashes (fetch reads them as slashes).
    for (const password of ['Pass word-S3cret', 'p"ss1234', "p'ss1234", 's3cr<et99', 's3cr`et99', 'a@b c@d9'])
      assert.doesNotMatch(redactText(`from: "postgres://hearth:${password}@127.0.0.1:1/shop"`), new RegExp(password.slice(1, 5)));
    for (const pair of ["password='hunter22'", 'password = hunter22', '"password": "hunter22"', 'password: hunter22'])
      assert.doesNotMatch(redactText(`conn ${pair} x`), /hunter22/);
    assert.equal(redactWebhook('https:\\\\hooks.example.org\\T0\\secret-key'), 'https://hooks.example.org/…');
    assert.equal(redactWebhook('not a url'), '***');
    // Pass 2: a password holding "#", "?" or "/" ended the authority before its "@"; PGPASSWORD hid "password".
    for (const password of ['SEC08#frag', 'SEC10?q=1', 'SEC09/slash', 'a/b?c#d@e'])
      for (const shown of [
        redactUrl(`postgres://user:${password}@127.0.0.1:1/db`),
        redactText(`x postgres://user:${password}@127.0.0.1:1/db y`),
      ]) {
        assert.ok(!shown.includes(password.slice(0, 5)), shown);
        assert.match(shown, /postgres:\/\/user:\*\*\*@127\.0\.0\.1:1\/db/);
      }
    for (const text of ['-- PGPASSWORD=SEC14 psql', 'DB_PASSWORD: SEC14', 'export MY_API_KEY="SEC14"'])
      assert.ok(!redactText(text).includes('SEC14'), redactText(text));
    // What is not a secret stays readable.
    assert.equal(redactText('see https://example.org/a?b=c@d'), 'see https://example.org/a');
    const yaml = [
      'name: p',
      'sources:',
      '  s:',
      '    from: "postgres://hearth:Pass word-S3cret@127.0.0.1:1/shop"',
      "    query: 'SELECT 1'",
      '    options: { password: "hunter 22", api_key: k3y-material }',
      'steps: [{ from: s }]',
      'output: o',
    ].join('\n');
    const shown = redactDefinition(yaml);
    for (const secret of ['word-S3cret', 'hunter 22', 'k3y-material']) assert.ok(!shown.includes(secret), shown);
    assert.match(shown, /postgres:\/\/hearth:\*\*\*@127\.0\.0\.1:1\/shop/);
  });

  it("a connection string pg cannot read is the source's mistake, coded and redacted, never an internal error", async () => {
    for (const from of ['postgres://user:SEC08#frag@127.0.0.1:1/db', 'postgres://user:SEC09/x@127.0.0.1:1/db'])
      await assert.rejects(
        readQuery({ from, query: 'SELECT 1' }),
        (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED' && !e.message.includes('SEC0'),
      );
  });

  it("a pipeline step's progress event reaches a viewer with the step's label redacted (red team, pass 3)", async () => {
    const seen: unknown[] = [];
    const stop = viewer.on((event) => seen.push(event));
    try {
      await h.engine.datasets.appendRecords('people', [{ id: 1 }, { id: 2 }], 'test');
      const admin = createClient(httpTransport({ baseUrl: h.server!.url, token: testToken }));
      await admin.call('pipelines.run', {
        definition: [
          'name: label-leak',
          'sources: { p: { dataset: people } }',
          'steps:',
          '  - from: p',
          '  - derive: { conn: "\'postgres://bob:Event-s3cret-pw@db/x\'" }',
          'output: people_out',
        ].join('\n'),
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      stop();
    }
    const text = JSON.stringify(seen);
    assert.match(text, /pipelines\.progress/);
    assert.match(text, /postgres:\/\/bob:\*\*\*@db/);
    assert.ok(!text.includes('Event-s3cret-pw'));
  });

  it('a viewer reads pipelines, runs, remotes, sync status and alert rules without a single secret', async () => {
    const answers = {
      definition1: await viewer.call('pipelines.definition', { name: 'orders-sync', version: 1 }),
      definition2: await viewer.call('pipelines.definition', { name: 'orders-sync', version: 2 }),
      list: await viewer.call('pipelines.list', {}),
      runs: await viewer.call('pipelines.runs', { name: 'orders-sync' }),
      remotes: await viewer.call('remotes.list', {}),
      status: await viewer.call('sync.status', {}),
      rules: await viewer.call('alerts.rules', {}),
      alerts: await viewer.call('alerts.list', {}),
      versions: await viewer.call('datasets.versions', { name: 'legacy' }),
      version: await viewer.call('datasets.version', { name: 'legacy' }),
    };
    assert.deepEqual(leaked(answers), []);
    // What stays is still useful: where the data comes from, where the alert goes, why the run failed.
    assert.match(
      answers.definition1.definition,
      new RegExp(`from: postgres://hearth:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/shop\\n`),
    );
    assert.match(answers.definition1.definition, /query: SELECT \* FROM orders/);
    assert.match(answers.definition2.definition, new RegExp(`postgres://hearth:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/shop`));
    assert.equal(answers.rules[0]!.webhook, 'https://hooks.example.org/…');
    assert.equal(answers.runs.length, 2);
    for (const run of answers.runs) assert.match(run.error ?? '', /cannot reach postgres:\/\/hearth:\*\*\*@127\.0\.0\.1/);
    assert.equal(answers.status.remotes[0]!.authenticated, true);
    assert.equal(answers.version.source.fileName, 'postgres://hearth:***@db/shop SELECT id FROM t');
    // An analyst, who may add rules but not read them whole, gets the same reduced webhook back.
    assert.deepEqual(leaked(await analyst.call('alerts.rules', {})), []);
  });

  it('an admin still reads the pipeline file as it ran and the full webhook', async () => {
    const definition = await h.client.call('pipelines.definition', { name: 'orders-sync', version: 1 });
    assert.match(definition.definition, /Pg-s3cret-pw@.*sslpassword=Ssl-k3y-s3cret/);
    assert.match((await h.client.call('alerts.rules', {}))[0]!.webhook ?? '', /Hook-s3cret-path\?token=Hook-t0ken-s3cret$/);
  });

  it('error messages and the audit log keep no secret a request or a failure quoted', async () => {
    const pull = await analyst
      .call('models.pull', {
        url: `oci://box:Pull-s3cret-pw@127.0.0.1:${closedPort}/hearth/churn:production`,
        insecureHttp: true,
      })
      .then(
        () => assert.fail('the pull should fail'),
        (error: unknown) => error,
      );
    assert.deepEqual(leaked(pull), []);
    const remote = await h.client
      .call('remotes.add', { name: 'inline', url: `oci://box:Pull-s3cret-pw@127.0.0.1:${closedPort}/hearth`, insecureHttp: true })
      .then(
        () => assert.fail('userinfo in a remote URL should be refused'),
        (error: unknown) => error as { code: string },
      );
    assert.equal(remote.code, 'VALIDATION_FAILED');
    assert.deepEqual(leaked(remote), []);
    const audit = await h.client.call('audit.list', { limit: 1000 });
    assert.ok(audit.some((e) => e.action === 'models.pull'));
    assert.deepEqual(leaked(audit), []);
  });
});
