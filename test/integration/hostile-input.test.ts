import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isErrorCode } from '../../main/contracts/errors.js';
import { maxPatternValueLength, patternValueLimit, rowProblem } from '../../main/data/rules.js';
import type { DataRule } from '../../main/contracts/api.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer, type RunningServer } from '../../main/api/http-server.js';
import { Engine } from '../../main/engine/engine.js';
import { tempDir, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

/**
 * Bad input never crashes and never stalls (item 6 of "Close every way in"): hostile rule patterns, YAML alias bombs,
 * deep nesting, prototype keys, non-finite numbers, malformed or mistyped bodies each get Hearth's own coded 4xx.
 */

/** One request to the server as the admin; the answer's status and its parsed body. */
async function send(
  h: Harness,
  path: string,
  body: string | Buffer,
  type: string | null = 'application/json',
  method = 'POST',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${testToken}` };
  if (type !== null) headers['content-type'] = type;
  const response = await fetch(`${h.server!.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

/** A refusal as Hearth words it: a 4xx with `{code, message}`, never Fastify's `{statusCode, error}` or an FST_ code. */
function assertCoded(answer: { status: number; body: Record<string, unknown> }, code?: string): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `a 4xx, not ${answer.status}: ${JSON.stringify(answer.body)}`);
  assert.ok(isErrorCode(answer.body.code), `a Hearth code, not ${String(answer.body.code)}`);
  assert.equal(typeof answer.body.message, 'string');
  assert.equal('statusCode' in answer.body, false);
  assert.equal('error' in answer.body, false);
  if (code !== undefined) assert.equal(answer.body.code, code, JSON.stringify(answer.body));
}

describe('hostile input', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('http');
    await h.client.call('datasets.append', { name: 'codes', rows: [{ code: 'AB-1234', n: 1 }] });
  });
  after(async () => {
    await h.close();
  });

  describe('rule patterns', () => {
    /** Patterns that take a backtracking engine exponential or polynomial time, within the schema's 200 characters. */
    const catastrophic = [
      '(a+)+$',
      '(a|aa)+$',
      '(a|a?)+b',
      '(.*a){20}',
      '(\\w+\\s?)+$',
      '([a-zA-Z]+)*[0-9]',
      '(x+x+)+y',
      '((a{1,10}){1,10}){1,2}b',
      '(a{1,10}){1,20}b',
      '[\\p{L}\\p{N}]{1,220}x',
      '(\\p{L}{1,30}\\s?){1,5}',
      `(${'[\\s\\S]*'.repeat(20)})b`,
      '(?i)(\\p{L}|\\p{N}|[^x]){1,100}y',
    ];
    it('runs every rule pattern in linear time: the worst pattern and value hold the event loop under 50 ms', () => {
      // Compiling (the first call) and each match are timed alike: both run on the event loop. Each pattern meets
      // values as long as it judges, the longest it holds the loop for. Each figure is the best of three, since the
      // test box is shared and a figure is otherwise the scheduler's as much as the pattern's.
      let worst = 0;
      let worstCase = '';
      const time = (what: string, run: (attempt: number) => void): void => {
        let best = Infinity;
        for (let attempt = 0; attempt < 3; attempt++) {
          const started = performance.now();
          run(attempt);
          best = Math.min(best, performance.now() - started);
        }
        if (best > worst) [worst, worstCase] = [best, what];
      };
      const rule = (pattern: string): DataRule => ({ kind: 'pattern', column: 'c', pattern, severity: 'quarantine' });
      for (const pattern of catastrophic) {
        // Three spellings of one pattern: three compilations, where the cache would answer a repeat.
        time(`compiling ${pattern}`, (attempt) =>
          rowProblem(rule(`${'(?:'.repeat(attempt)}${pattern}${')'.repeat(attempt)}`), 'x'),
        );
        const n = patternValueLimit(pattern);
        for (const value of ['a'.repeat(30) + '!', 'a'.repeat(n), 'a'.repeat(n - 1) + '!', 'x'.repeat(n), 'é'.repeat(n)])
          time(`${pattern} on ${value.length} × ${value[0]}`, () => rowProblem(rule(pattern), value));
      }
      console.log(`rule patterns: worst ${worst.toFixed(2)} ms (${worstCase})`);
      assert.ok(worst < 50, `worst ${worst.toFixed(1)} ms for ${worstCase}`);
      // A value longer than this pattern judges breaks the rule without being matched.
      assert.match(
        rowProblem({ kind: 'pattern', column: 'c', pattern: '.*', severity: 'warn' }, 'a'.repeat(maxPatternValueLength + 1))!,
        /longer than this pattern judges/,
      );
    });

    it('keeps the server answering while a catastrophic pattern judges a hostile row', async () => {
      await h.client.call('rules.set', {
        name: 'codes',
        rules: [{ kind: 'pattern', column: 'code', pattern: '(a+)+$', severity: 'quarantine' }],
      });
      const started = performance.now();
      const appended = await h.client.call('datasets.append', {
        name: 'codes',
        rows: Array.from({ length: 200 }, (_, i) => ({ code: `${'a'.repeat(40)}!`, n: i })),
      });
      assert.equal(appended.quarantined, 200);
      assert.ok(performance.now() - started < 5000, 'the append finished');
      assert.equal((await fetch(`${h.server!.url}/healthz`)).status, 200);
      await h.client.call('rules.set', { name: 'codes', rules: [] });
    });

    it('refuses a pattern RE2 cannot run (backreference, lookahead) as one that does not compile', async () => {
      for (const pattern of ['(a)\\1', '(?=a)a', 'a{2000}', '((a{1,10}){1,10}){1,10}b']) {
        const answer = await send(
          h,
          '/api/rules.set',
          JSON.stringify({ name: 'codes', rules: [{ kind: 'pattern', column: 'code', pattern, severity: 'warn' }] }),
        );
        assertCoded(answer, 'VALIDATION_FAILED');
        assert.match(String(answer.body.message), /does not compile/);
      }
    });

    it("keeps a dataset's rules on that dataset when its id and its latest version's id differ (fuzzer: FOREIGN KEY 500)", async () => {
      await h.client.call('datasets.append', { name: 'codes', rows: [{ code: 'CD-5678', n: 2 }] });
      await h.client.call('datasets.append', { name: 'other', rows: [{ code: 'EF-9012', n: 3 }] });
      const rules: DataRule[] = [{ kind: 'pattern', column: 'code', pattern: '[A-Z]{2}-\\d{4}', severity: 'warn' }];
      assert.deepEqual(await h.client.call('rules.set', { name: 'other', rules }), rules);
      assert.deepEqual(await h.client.call('rules.get', { name: 'other' }), rules);
      assert.deepEqual(await h.client.call('rules.get', { name: 'codes' }), []);
    });
  });

  describe('bodies', () => {
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const refused: [string, string, string | Buffer, string | null][] = [
      ['malformed JSON', '/api/datasets.list', '{"a":', 'application/json'],
      ['NaN in a numeric field', '/api/datasets.quarantine', '{"name":"codes","limit":NaN}', 'application/json'],
      ['1e999 (Infinity) in a numeric field', '/api/datasets.quarantine', '{"name":"codes","limit":1e999}', 'application/json'],
      ['"Infinity" in a numeric field', '/api/datasets.quarantine', '{"name":"codes","limit":"Infinity"}', 'application/json'],
      ['1e999 in a row', '/api/datasets.append', '{"name":"codes","rows":[{"n":1e999}]}', 'application/json'],
      ['an array 10^5 deep', '/api/datasets.list', deepArray, 'application/json'],
      ['an object 10^5 deep', '/api/datasets.list', deepObject, 'application/json'],
      [
        'an object 10^5 deep in a row',
        '/api/datasets.append',
        `{"name":"codes","rows":[{"n":${deepObject}}]}`,
        'application/json',
      ],
      ['a deep object in REST rows', '/v1/datasets/codes/rows', `{"rows":[${deepObject}]}`, 'application/json'],
      ['a deep object in predict', '/v1/models/none/predict', `{"rows":[${deepObject}]}`, 'application/json'],
      ['a deep object in feedback', '/v1/models/none/feedback', deepObject, 'application/json'],
      ['a __proto__ key', '/api/datasets.list', '{"__proto__":{"polluted":1}}', 'application/json'],
      ['a constructor.prototype key', '/api/datasets.list', '{"constructor":{"prototype":{"polluted":1}}}', 'application/json'],
      ['a __proto__ key in a row', '/api/datasets.append', '{"name":"codes","rows":[{"__proto__":{"x":1}}]}', 'application/json'],
      ['a __proto__ key in REST rows', '/v1/datasets/codes/rows', '[{"__proto__":{"n":1}}]', 'application/json'],
      ['an XML body', '/api/datasets.list', '<a/>', 'application/xml'],
      ['a form body', '/api/datasets.list', 'a=1', 'application/x-www-form-urlencoded'],
      ['a CSV body to an API method', '/api/datasets.list', 'a,b\n1,2\n', 'text/csv'],
      ['no content type', '/api/datasets.list', '{}', null],
      [
        'a JSON body that is not UTF-8',
        '/api/datasets.list',
        Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
        'application/json',
      ],
      ['an empty JSON body', '/v1/models/none/predict', '', 'application/json'],
      ['null', '/v1/models/none/feedback', 'null', 'application/json'],
      ['a string', '/v1/datasets/codes/rows', '"rows"', 'application/json'],
      ['null rows (fuzzer: TypeError 500)', '/v1/datasets/codes/rows', 'null', 'application/json'],
    ];
    for (const [label, path, body, type] of refused) {
      it(`answers ${label} with a coded 4xx`, async () => {
        assertCoded(await send(h, path, body, type));
        assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
      });
    }

    it('answers an oversized body with PAYLOAD_TOO_LARGE', async () => {
      const big = Buffer.alloc(65 * 1024 * 1024, 0x20);
      assertCoded(await send(h, '/api/datasets.list', big), 'PAYLOAD_TOO_LARGE');
    });

    it('refuses a YAML alias bomb (billion laughs) in a pipeline file, quickly', async () => {
      const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
      lines.push('steps: *a9');
      const started = performance.now();
      const answer = await send(h, '/api/pipelines.preview', JSON.stringify({ definition: lines.join('\n') }));
      assertCoded(answer, 'VALIDATION_FAILED');
      assert.match(String(answer.body.message), /alias/i);
      assert.ok(performance.now() - started < 2000);
    });

    it('refuses a YAML pipeline file nested 10^5 deep', async () => {
      for (const definition of [
        `steps: ${'['.repeat(100_000)}${']'.repeat(100_000)}`,
        `steps: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}`,
      ])
        assertCoded(await send(h, '/api/pipelines.preview', JSON.stringify({ definition })), 'VALIDATION_FAILED');
    });
  });

  describe('requests the router or the HTTP parser refuses', () => {
    /** A raw request on a socket, for what fetch will not send; the status line and the body of the answer. */
    const raw = (request: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const { hostname, port } = new URL(h.server!.url);
        const socket = connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname, () => socket.end(request));
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head = '', body = ''] = text.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body });
        });
      });
    const answers = (what: { status: number; body: string }): void => {
      assert.ok(what.status >= 400 && what.status < 500, `a 4xx, not ${what.status}`);
      const body = JSON.parse(what.body) as Record<string, unknown>;
      assertCoded({ status: what.status, body });
    };

    it('answers a malformed header with a coded 400', async () => {
      answers(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'));
    });
    it('answers a malformed request line with a coded 400', async () => {
      answers(await raw('BREW /healthz HTTP/9.9\r\n\r\n'));
    });
    it('answers a URL with broken percent-escapes with a coded 4xx', async () => {
      answers(
        await raw(
          `POST /api/datasets.list%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${testToken}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        ),
      );
    });
    it('answers a content length that lies with a coded 4xx', async () => {
      answers(
        await raw(
          `POST /api/datasets.list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${testToken}\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`,
        ),
      );
    });
  });

  describe('ingested files', () => {
    const upload = async (content: string): Promise<string> => {
      const answer = await send(h, '/api/uploads', content, 'application/octet-stream', 'PUT');
      return String(answer.body.uploadId);
    };

    it('quarantines an NDJSON line nested 10^5 deep and keeps the rest', async () => {
      const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      const deepArray = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const uploadId = await upload(`{"a":1}\n${deep}\n${deepArray}\n{"a":2}\n`);
      const answer = await send(h, '/api/datasets.ingest', JSON.stringify({ name: 'deep', uploadId, fileName: 'deep.ndjson' }));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual([answer.body.rows, answer.body.quarantined], [2, 2]);
    });

    it('refuses a JSON file nested 10^5 deep with a coded 4xx', async () => {
      const uploadId = await upload(`[${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}]`);
      assertCoded(await send(h, '/api/datasets.ingest', JSON.stringify({ name: 'deep-json', uploadId, fileName: 'deep.json' })));
    });

    it('reads __proto__ and constructor keys as plain column names, polluting nothing', async () => {
      const uploadId = await upload('{"__proto__": {"polluted": 1}, "constructor": {"prototype": 2}, "n": 1}\n{"n": 2}\n');
      const answer = await send(h, '/api/datasets.ingest', JSON.stringify({ name: 'proto', uploadId, fileName: 'p.ndjson' }));
      assert.ok(answer.status === 200 || (answer.status >= 400 && answer.status < 500), JSON.stringify(answer.body));
      if (answer.status >= 400) assertCoded(answer);
      assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
      assert.equal((Object.prototype as Record<string, unknown>).prototype, undefined);
      assert.equal((await fetch(`${h.server!.url}/healthz`)).status, 200);
    });
  });

  describe('uploads', () => {
    let q: { engine: Engine; server: RunningServer; cleanup: () => void };
    before(async () => {
      // A server of its own, on a data folder whose config caps each token's upload space at 1 MiB.
      const tmp = tempDir();
      writeFile(tmp.dir, 'hearth.config.json', JSON.stringify({ uploads: { quotaMiB: 1 } }));
      const engine = Engine.open(tmp.dir);
      const server = await startHttpServer({
        engine,
        handlers: createHandlers(engine),
        auth: loadTokenVerifier(engine.db, testToken),
        port: 0,
      });
      q = { engine, server, cleanup: tmp.cleanup };
    });
    after(async () => {
      await q.server.close();
      q.engine.close();
      q.cleanup();
    });
    const put = async (token: string, bytes: number): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${q.server.url}/api/uploads`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(bytes, 0x61),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    it("caps each token's space for uploads not yet ingested: over it is PAYLOAD_TOO_LARGE, other tokens unaffected", async () => {
      const { token: other } = q.engine.access.createToken('uploader', 'analyst');
      const first = await put(testToken, 700 * 1024);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const second = await put(testToken, 700 * 1024);
      assertCoded(second, 'PAYLOAD_TOO_LARGE');
      assert.match(String(second.body.message), /upload space of bootstrap is full/);
      // The refused upload left nothing behind, and another token has its own space.
      assert.deepEqual(readdirSync(join(q.engine.dataDir, 'uploads')), [first.body.uploadId]);
      assert.equal((await put(other, 700 * 1024)).status, 200);
      // Space comes back when an upload goes.
      q.engine.discardUpload(String(first.body.uploadId));
      assert.equal((await put(testToken, 700 * 1024)).status, 200);
    });

    it('sweeps uploads no method has read, and leaves one an ingest is reading', async () => {
      const unused = String((await put(testToken, 10)).body.uploadId);
      q.engine.discardUpload(unused);
      const idle = String((await put(testToken, 10)).body.uploadId);
      const reading = String((await put(testToken, 10)).body.uploadId);
      q.engine.upload(reading);
      await new Promise((r) => setTimeout(r, 5));
      const before = readdirSync(join(q.engine.dataDir, 'uploads'));
      assert.ok(before.includes(idle) && before.includes(reading));
      const held = q.engine.uploadBytesOf('bootstrap');
      q.engine.sweepUploads(1);
      const left = readdirSync(join(q.engine.dataDir, 'uploads'));
      assert.equal(left.includes(idle), false, 'the idle upload is gone');
      assert.equal(left.includes(reading), true, 'the one being read stays');
      assert.throws(() => q.engine.upload(idle), { code: 'NOT_FOUND' });
      // What the sweep removed no longer counts against the token.
      assert.ok(q.engine.uploadBytesOf('bootstrap') < held);
    });
  });
});

describe('hostile bodies with the console served beside the API', () => {
  // Registering the console's static files (await app.register) once kept a later error handler from reaching the
  // routes: Fastify's own {statusCode, error, code: FST_…} bodies came back, before any token was looked at.
  const tmp = tempDir();
  let engine: Engine;
  let server: RunningServer;
  const token = 'console-token-0123456789';
  before(async () => {
    engine = Engine.open(tmp.dir);
    const staticDir = fileURLToPath(new URL('../../renderer', import.meta.url));
    assert.ok(existsSync(join(staticDir, 'index.html')), `the built console at ${staticDir}`);
    server = await startHttpServer({
      engine,
      handlers: createHandlers(engine),
      auth: loadTokenVerifier(engine.db, token),
      port: 0,
      staticDir,
    });
  });
  after(async () => {
    await server.close();
    engine.close();
    tmp.cleanup();
  });

  const cases: [string, Record<string, string>, string | undefined][] = [
    ['/api/session', { 'content-type': 'application/json' }, '{"token":'],
    ['/api/session', { 'content-type': 'application/json' }, '{"__proto__":{"admin":true},"token":"x"}'],
    ['/api/session', { 'content-type': 'application/xml' }, '<token/>'],
    ['/api/system.info', { 'content-type': 'application/json', authorization: `Bearer ${token}` }, '{"a":'],
    ['/api/system.info', { 'content-type': 'application/json', authorization: `Bearer ${token}` }, undefined],
    ['/api/system.info', { 'content-type': 'application/xml', authorization: `Bearer ${token}` }, '<a/>'],
    ['/api/system.info', { 'content-type': 'text/plain', authorization: `Bearer ${token}` }, 'hello'],
    ['/v1/models/m/predict', { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, 'a,b\n1,2\n'],
  ];
  for (const [path, headers, body] of cases)
    it(`answers ${headers['content-type']} ${JSON.stringify(body ?? '(empty)').slice(0, 40)} to ${path} with Hearth's coded 4xx`, async () => {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
      const answer = (await response.json()) as Record<string, unknown>;
      assert.ok(response.status >= 400 && response.status < 500, `${response.status}`);
      assert.deepEqual(Object.keys(answer).sort(), ['code', 'message'], JSON.stringify(answer));
      assert.doesNotMatch(String(answer.code), /^FST_/);
      assert.doesNotMatch(String(answer.message), /_readableState|_events/);
    });

  it('keeps JSON whose parse would hold the event loop out: deep or wide bodies are refused before JSON.parse', async () => {
    const post = (body: string) =>
      fetch(`${server.url}/api/system.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
    const deep = await post('['.repeat(65) + ']'.repeat(65));
    assert.deepEqual(
      [deep.status, ((await deep.json()) as { message: string }).message],
      [400, 'the JSON body nests deeper than 64 levels'],
    );
    const wide = await post(`{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":1`).join(',')}}`);
    assert.match(((await wide.json()) as { message: string }).message, /more than 10000 keys/);
    // Strings hide brackets and commas from the shape: a row with them passes the look and reaches the method.
    const fine = await post(JSON.stringify({ note: '[[[[,,,{{{'.repeat(100) }));
    assert.equal(fine.status, 400);
    assert.match(((await fine.json()) as { message: string }).message, /invalid arguments for system.info/);
    const big = await post(`[${'1,'.repeat(4_500_000)}1]`);
    assert.equal(big.status, 413);
  });

  it('parses a sign-in body of a few KiB at most, and counts one that does not parse as a failed sign-in', async () => {
    const signIn = (body: string) =>
      fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const huge = await signIn(`{"token":"${'x'.repeat(100_000)}"}`);
    assert.deepEqual([huge.status, ((await huge.json()) as { code: string }).code], [413, 'PAYLOAD_TOO_LARGE']);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn('{"token":')).status);
    // Each counts as a failed sign-in (the malformed sign-ins of the cases above too): within five failures the
    // address is refused before any body is read, and stays refused.
    const first = statuses.indexOf(429);
    assert.ok(first >= 0 && first < 5, JSON.stringify(statuses));
    assert.ok(
      statuses.slice(first).every((s) => s === 429),
      JSON.stringify(statuses),
    );
  });
});
