import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../main/contracts/client.js';
import type { ApiArgs, ApiMethod, ApiResults } from '../../main/contracts/api.js';
import { startHarness, type Harness } from './harness.js';

/*
 * "Privacy holds everywhere": a value a policy drops, hashes or generalises must not survive in any place a viewer
 * or an operator can read: the quarantine, error messages, the server's console, the audit log, the prediction log,
 * the data folder's bytes and every table of the store. Every raw value below belongs to a row that goes wrong
 * somehow (a malformed line, a rule it breaks, a value a policy cannot transform, a served row a rule refuses).
 */
const secrets = [
  'zed.quux@example.org', // a CSV line with one field too many
  'Zed Quux',
  'quinn.roe@example.org', // a CSV line with an unterminated quote
  'Quinn Roe',
  '1970-01-17',
  'rula.rowe@example.org', // a row that breaks a quarantine rule
  'Rula Rowe',
  'zelda.json', // an NDJSON line that is not JSON (V8's message quotes its first characters)
  'nora.nested@example.org', // an NDJSON record that is not an object
  'Nora Nested',
  'cast.fail@example.org', // an appended row whose age is not an integer
  'Cassie Fail',
  '31/12/1969', // a date of birth that generalise cannot read
  'Dora Date',
  'served.person@example.org', // a served row
  'Sergio Served',
];

function people(extra: string[]): string {
  const lines = ['email,full_name,dob,age,plan,label'];
  const given = ['Ann', 'John', 'Maria', 'Olivia', 'James', 'Sophie'];
  const family = ['Smith', 'Garcia', 'Rossi', 'Nguyen', 'Patel', 'Dubois'];
  for (let i = 0; i < 80; i++) {
    const age = 20 + ((i * 13) % 50);
    lines.push(
      `p${i}@example.com,${given[i % 6]} ${family[(i * 7) % 6]},${1950 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},${age},${['gold', 'silver'][i % 2]},${age > 45 ? 'churned' : 'stayed'}`,
    );
  }
  return `${[...lines, ...extra].join('\n')}\n`;
}

/** Every byte under the data folder (database, WAL, blobs). */
function storeBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = join(dir, String(entry));
    if (statSync(path).isFile()) parts.push(readFileSync(path));
  }
  return Buffer.concat(parts);
}

describe('PII policies hold for quarantined lines, errors, logs, audit and the prediction log', () => {
  let h: Harness;
  /** What the server printed while the test ran, and every answer (result or error) the API gave. */
  const printed: string[] = [];
  const answers: string[] = [];
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const consoleError = console.error;
  const consoleLog = console.log;
  const consoleWarn = console.warn;

  async function call<K extends ApiMethod>(method: K, args: ApiArgs<K>): Promise<ApiResults[K] | ApiError> {
    try {
      const result = await h.client.call(method, args);
      answers.push(JSON.stringify(result));
      return result;
    } catch (error) {
      assert.ok(error instanceof ApiError, String(error));
      answers.push(JSON.stringify({ code: error.code, message: error.message, details: error.details }));
      return error;
    }
  }

  async function upload(text: string, fileName: string): Promise<string> {
    return h.client.upload(new Blob([text]), fileName);
  }

  before(async () => {
    const capture =
      (original: typeof process.stdout.write) =>
      (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      };
    process.stdout.write = capture(writes.out);
    process.stderr.write = capture(writes.err);
    const record =
      (original: (...args: unknown[]) => void) =>
      (...args: unknown[]): void => {
        printed.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack ?? ''}` : String(a))).join(' '));
        original(...args);
      };
    console.error = record(consoleError);
    console.log = record(consoleLog);
    console.warn = record(consoleWarn);
    h = await startHarness('http');
  });
  after(async () => {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    console.error = consoleError;
    console.log = consoleLog;
    console.warn = consoleWarn;
    await h?.close();
  });

  it('ingests, quarantines, refuses and serves without a raw value of a protected column anywhere', async () => {
    const pii = {
      email: { policy: 'hash', type: 'email' },
      full_name: { policy: 'drop', type: 'person-name' },
      dob: { policy: 'generalise', type: 'date-of-birth' },
    } as const;
    // v1: a line with a field too many, and (last, so it swallows nothing) a line whose quote never closes.
    const v1 = await call('datasets.ingest', {
      name: 'people',
      uploadId: await upload(
        people([
          'zed.quux@example.org,Zed Quux,1971-02-02,40,gold,stayed,surplus',
          '"quinn.roe@example.org,Quinn Roe,1970-01-17,30,silver,stayed',
        ]),
        'people.csv',
      ),
      fileName: 'people.csv',
      pii,
    });
    assert.ok(!(v1 instanceof ApiError), v1 instanceof ApiError ? v1.message : '');
    assert.equal(v1.quarantined, 2);

    // Rules: ages set aside above 120; e-mails as the store holds them (pseudonyms), checked on served rows too.
    const rules = await call('rules.set', {
      name: 'people',
      rules: [
        { kind: 'range', column: 'age', min: 0, max: 120, severity: 'quarantine' },
        { kind: 'pattern', column: 'email', pattern: '^h_[A-Za-z0-9_-]{22}$', severity: 'reject' },
      ],
    });
    assert.ok(!(rules instanceof ApiError), rules instanceof ApiError ? rules.message : '');
    const v2 = await call('datasets.ingest', {
      name: 'people',
      uploadId: await upload(people(['rula.rowe@example.org,Rula Rowe,1980-03-03,250,gold,stayed']), 'people.csv'),
      fileName: 'people.csv',
    });
    assert.ok(!(v2 instanceof ApiError), v2 instanceof ApiError ? v2.message : '');
    assert.equal(v2.quarantined, 1);

    // An NDJSON append: a line that is not JSON, a value that is not an object.
    const appended = await call('datasets.ingest', {
      name: 'people',
      append: true,
      format: 'ndjson',
      uploadId: await upload(
        [
          '{"email":"nj@example.com","full_name":"Ann Smith","dob":"1980-01-01","age":30,"plan":"gold","label":"stayed"}',
          'zelda.json@example.org,Zelda Json',
          '["nora.nested@example.org","Nora Nested"]',
        ].join('\n'),
        'more.ndjson',
      ),
      fileName: 'more.ndjson',
    });
    assert.ok(!(appended instanceof ApiError), appended instanceof ApiError ? appended.message : '');
    assert.equal(appended.quarantined, 2);

    // Rows sent as JSON: one whose age is no integer.
    const rows = await call('datasets.append', {
      name: 'people',
      rows: [
        { email: 'ok@example.com', full_name: 'Ok Person', dob: '1990-01-01', age: 31, plan: 'gold', label: 'stayed' },
        { email: 'cast.fail@example.org', full_name: 'Cassie Fail', dob: '1990-01-01', age: 'old', plan: 'gold', label: 'x' },
      ],
    });
    assert.ok(!(rows instanceof ApiError), rows instanceof ApiError ? rows.message : '');
    assert.equal(rows.quarantined, 1);

    // One date of birth no parser reads is a typo in a date column: read as missing and reported by its line, its
    // text withheld, since a policy covers the column.
    const typo = await call('datasets.ingest', {
      name: 'people',
      uploadId: await upload(people(['dora@example.org,Dora Date,31/12/1969,50,gold,stayed']), 'people.csv'),
      fileName: 'people.csv',
    });
    assert.ok(!(typo instanceof ApiError), typo instanceof ApiError ? typo.message : '');
    assert.deepEqual(typo.unparsable, { total: 1, cells: [{ column: 'dob', line: 82, text: '(withheld: generalise policy)' }] });
    // Six of them are past a typo: the column is text, which generalise cannot read; the file is refused, and the
    // message names the column, not the value.
    const refused = await call('datasets.ingest', {
      name: 'people',
      uploadId: await upload(people(Array<string>(6).fill('dora@example.org,Dora Date,31/12/1969,50,gold,stayed')), 'people.csv'),
      fileName: 'people.csv',
    });
    assert.ok(refused instanceof ApiError);
    assert.match(refused.message, /dob/);

    for (const version of [1, 2, 3, 4]) {
      const q = await call('datasets.quarantine', { name: 'people', version, offset: 0, limit: 100 });
      assert.ok(!(q instanceof ApiError), q instanceof ApiError ? q.message : '');
      // Line numbers and reasons stay useful.
      for (const row of q.rows) assert.ok(row.line > 0 && row.reason !== '');
    }

    // Train, then serve raw values: the reject rule judges what the store would hold (a pseudonym), so it passes.
    const job = h.engine.trainer.start({ dataset: 'people', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 1 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    const served = await call('models.predict', {
      name: 'churn',
      rows: [{ email: 'served.person@example.org', full_name: 'Sergio Served', dob: '1960-05-05', age: 61, plan: 'gold' }],
    });
    assert.ok(!(served instanceof ApiError), served instanceof ApiError ? served.message : '');
    // A served row that breaks the range rule: refused with the rule named.
    const broken = await call('models.predict', {
      name: 'churn',
      rows: [{ email: 'served.person@example.org', full_name: 'Sergio Served', dob: '1960-05-05', age: 400, plan: 'gold' }],
    });
    assert.ok(broken instanceof ApiError && broken.code === 'INVALID_INPUT');
    const logged = await h.engine.predictionLog.rows('churn');
    answers.push(JSON.stringify(logged));
    await call('audit.list', { limit: 1000 });
    await call('datasets.versions', { name: 'people' });
    await call('datasets.version', { name: 'people' });
    await call('models.monitor', { name: 'churn' });
    await h.engine.predictionLog.flushed();

    // Every table of the store, row by row, beside the raw bytes of the data folder.
    const tables = h.engine.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const tableText = tables
      .map(({ name }) =>
        JSON.stringify(h.engine.db.prepare(`SELECT * FROM "${name}"`).all(), (_k, v: unknown) =>
          Buffer.isBuffer(v) ? v.toString('latin1') : v,
        ),
      )
      .join('\n');
    const bytes = storeBytes(h.dataDir);
    const everywhere = { answers: answers.join('\n'), printed: printed.join(''), tables: tableText };
    const found: string[] = [];
    for (const secret of secrets) {
      for (const [where, text] of Object.entries(everywhere)) if (text.includes(secret)) found.push(`${secret} in ${where}`);
      if (bytes.includes(secret)) found.push(`${secret} in the data folder`);
    }
    assert.deepEqual(found, []);
  });
});
