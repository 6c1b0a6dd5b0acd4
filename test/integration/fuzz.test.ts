import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { apiSchemas, type ApiMethod } from '../../main/contracts/api.js';
import { isErrorCode } from '../../main/contracts/errors.js';
import { seededRandom } from '../../main/stats/random.js';
import { syntheticCsv } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

/**
 * A seeded HTTP fuzzer over every API method's zod schema (item 6 of "Close every way in"): arguments generated from
 * each schema's JSON Schema, then broken one value at a time with wrong types, boundary and hostile values (huge
 * strings, NaN and infinite numbers, deep nesting, prototype keys, path traversal, odd Unicode), plus whole bodies
 * that are malformed, mistyped or of the wrong content type. Sent as the admin to a real server on loopback.
 * Asserted: never a 500, every refusal is Hearth's own `{code, message}`, /healthz keeps answering, and a refused
 * call leaves the store as it was.
 */

/** Cases per run: a few thousand, so the suite stays under a minute on a small box. */
const cases = Number(process.env.HEARTH_FUZZ_CASES ?? 2000);
const seed = Number(process.env.HEARTH_FUZZ_SEED ?? 20240607);

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
}

/** Strings that pass the schemas' own patterns (names, upload ids, backup files, sources), tried in order. */
const patternSamples = [
  'fuzz',
  'fuzz-2',
  '0123abcd-0000-4000-8000-00000000abcd',
  'hearth-20240101T000000Z.hbk',
  'sqlite:///fuzz.db',
  'http://127.0.0.1:9/fuzz',
  'a',
];

/** A marker replaced in the request's text by a raw JSON fragment, so the body can hold what JSON.stringify cannot. */
const rawMarker = '\u0001raw\u0001';

/** Hostile values, as raw JSON text: whatever JSON can carry, and some that JSON.parse turns into odd numbers. */
const hostile: (() => string)[] = [
  () => 'null',
  () => 'true',
  () => '0',
  () => '-1',
  () => '-0',
  () => '1.5',
  () => '1e999',
  () => '-1e999',
  () => '9007199254740993',
  () => '1e308',
  () => '-2147483649',
  () => '""',
  () => '"NaN"',
  () => '"Infinity"',
  () => '"-Infinity"',
  () => JSON.stringify('x'.repeat(100_000)),
  () => JSON.stringify('é'.repeat(20_000)),
  () => '"../../../../etc/passwd"',
  () => '"..\\\\..\\\\..\\\\windows\\\\win.ini"',
  () => '"/etc/passwd"',
  () => '"%2e%2e%2f%2e%2e%2fetc%2fpasswd"',
  () => '"fuzz/../../x"',
  () => '"\\u0000"',
  () => '"a\\u0000b"',
  () => '"\\ud800"',
  () => '"\\udfff\\ud800"',
  () => '"💥🔥👨‍👩‍👧"',
  () => '"\\u202eevil"',
  () => '"Ω≈ç√∫˜µ≤"',
  () => `"' OR 1=1 --"`,
  () => '"(a+)+$"',
  () => '"${jndi:ldap://x}"',
  () => '"<script>alert(1)</script>"',
  () => '"__proto__"',
  () => '"constructor"',
  () => '[]',
  () => '{}',
  () => '[[[[[[[[]]]]]]]]',
  () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  () => `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
  () => '{"__proto__":{"polluted":1}}',
  () => '{"constructor":{"prototype":{"polluted":1}}}',
  () => `[${Array.from({ length: 20_000 }, () => '1').join(',')}]`,
  () => `[${Array.from({ length: 200 }, () => '{"__proto__":1}').join(',')}]`,
  () => '"fuzz"',
];

/** Whole request bodies: malformed JSON, JSON that is not an object, and what Fastify's parser refuses outright. */
const hostileBodies: (() => { body: string | Buffer; type: string | null })[] = [
  () => ({ body: '{', type: 'application/json' }),
  () => ({ body: '{"a": NaN}', type: 'application/json' }),
  () => ({ body: '{"a": Infinity}', type: 'application/json' }),
  () => ({ body: "{'a': 1}", type: 'application/json' }),
  () => ({ body: '', type: 'application/json' }),
  () => ({ body: 'null', type: 'application/json' }),
  () => ({ body: '[]', type: 'application/json' }),
  () => ({ body: '"text"', type: 'application/json' }),
  () => ({ body: '12', type: 'application/json' }),
  () => ({ body: '{"__proto__": {"polluted": true}}', type: 'application/json' }),
  () => ({ body: '{"constructor": {"prototype": {"polluted": true}}}', type: 'application/json' }),
  () => ({ body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, type: 'application/json' }),
  () => ({ body: `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, type: 'application/json' }),
  () => ({ body: '{"a": 1, "a": 2}', type: 'application/json' }),
  () => ({ body: Buffer.from([0xff, 0xfe, 0x7b, 0x00]), type: 'application/json' }),
  () => ({ body: '{"name": "fuzz"}', type: 'application/xml' }),
  () => ({ body: '{"name": "fuzz"}', type: 'text/plain' }),
  () => ({ body: 'name=fuzz', type: 'application/x-www-form-urlencoded' }),
  () => ({ body: '{"name": "fuzz"}', type: 'multipart/form-data; boundary=x' }),
  () => ({ body: '{"name": "fuzz"}', type: null }),
  () => ({ body: '{"name": "fuzz"}', type: 'application/json; charset=utf-16' }),
  () => ({ body: '{"name": "fuzz"}', type: 'application/json, text/csv' }),
  () => ({ body: 'a,b\n1,2\n', type: 'text/csv' }),
];

/** Extra keys slipped into an object: unknown ones and the ones that pollute prototypes. */
const hostileKeys = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '', 'x'.repeat(10_000), 'é'];

class Generator {
  constructor(private readonly random: () => number) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A value the schema would (mostly) accept: the starting point that hostile values then break. */
  valid(schema: JsonSchema, depth = 0): unknown {
    if (schema.const !== undefined) return schema.const;
    if (schema.enum !== undefined) return this.pick(schema.enum);
    const union = schema.oneOf ?? schema.anyOf;
    if (union !== undefined && union.length > 0) return this.valid(this.pick(union), depth);
    if (schema.allOf !== undefined && schema.allOf.length > 0) return this.valid(schema.allOf[0]!, depth);
    const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : [schema.type];
    const type = types.length === 0 ? 'null' : this.pick(types);
    switch (type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        const required = new Set(schema.required ?? []);
        for (const [key, sub] of Object.entries(schema.properties ?? {}))
          if (required.has(key) || this.random() < 0.5) out[key] = this.valid(sub, depth + 1);
        if (typeof schema.additionalProperties === 'object' && depth < 4)
          for (const key of ['x1', 'colour', 'flag'].slice(0, 1 + this.int(3)))
            out[key] = this.valid(schema.additionalProperties, depth + 1);
        return out;
      }
      case 'array': {
        if (schema.prefixItems !== undefined) return schema.prefixItems.map((s) => this.valid(s, depth + 1));
        const min = schema.minItems ?? 0;
        const n = Math.min(schema.maxItems ?? 3, min + this.int(3));
        return depth > 5 ? [] : Array.from({ length: n }, () => this.valid(schema.items ?? {}, depth + 1));
      }
      case 'string': {
        if (schema.pattern !== undefined) {
          const re = new RegExp(schema.pattern, 'u');
          return patternSamples.find((s) => re.test(s)) ?? 'fuzz';
        }
        if (schema.format === 'uri' || schema.format === 'url') return 'http://127.0.0.1:9/fuzz';
        const min = schema.minLength ?? 0;
        const base = this.pick(['fuzz', 'x1', 'colour', 'label', 'a b']);
        return base.length >= min ? base.slice(0, schema.maxLength ?? base.length) : base.padEnd(min, 'z');
      }
      case 'integer':
      case 'number': {
        const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
        const high = Math.min(schema.maximum ?? low + 10, low + 10);
        const v = low + this.random() * (high - low);
        return type === 'integer' ? Math.round(v) : v;
      }
      case 'boolean':
        return this.random() < 0.5;
      case 'null':
        return null;
      default:
        return this.pick(['fuzz', 1, true, null]);
    }
  }

  /** The paths of every value inside `value`, the root included, to pick one to break. */
  paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    out.push(prefix);
    if (Array.isArray(value)) value.forEach((v, i) => this.paths(v, [...prefix, i], out));
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) this.paths(v, [...prefix, k], out);
    return out;
  }

  /** Replaces the value at a random path with the raw marker; returns the body text with a hostile fragment in it. */
  broken(args: unknown): string {
    const paths = this.paths(args);
    const path = this.pick(paths);
    const raw = this.pick(hostile)();
    if (path.length === 0) return raw;
    const copy = structuredClone(args) as Record<string | number, unknown>;
    let at: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path[path.length - 1]!] = rawMarker;
    return JSON.stringify(copy).replace(JSON.stringify(rawMarker), raw);
  }

  /** An object with an extra key: one Hearth never names, or one that reaches for a prototype. */
  extraKey(args: unknown): string {
    const key = this.pick(hostileKeys);
    const text = JSON.stringify(args);
    if (!text.startsWith('{')) return text;
    const extra = `${JSON.stringify(key)}:${this.pick(hostile)()}`;
    return text === '{}' ? `{${extra}}` : `{${extra},${text.slice(1)}`;
  }
}

/**
 * Every table's rows and the blob and upload files, one digest per table so a change names where it happened. Left
 * out: the audit log and request_errors (refused predictions, for the error-rate alert), which record refusals on
 * purpose.
 */
function storeDigest(h: Harness): Map<string, string> {
  const out = new Map<string, string>();
  const tables = h.engine.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('audit_log', 'request_errors') ORDER BY name")
    .all() as { name: string }[];
  for (const t of tables) {
    const hash = createHash('sha256');
    for (const row of h.engine.db.prepare(`SELECT * FROM "${t.name}" ORDER BY rowid`).iterate()) hash.update(JSON.stringify(row));
    out.set(t.name, hash.digest('hex'));
  }
  for (const dir of ['blobs', 'uploads'])
    out.set(`${dir}/`, readdirSync(join(h.dataDir, dir), { recursive: true }).map(String).sort().join('\n'));
  return out;
}

/** The tables (or folders) whose digests differ. */
function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

/** The stable REST routes that take a JSON body, with the API method whose arguments their bodies resemble. */
const restRoutes: [string, ApiMethod][] = [
  ['/v1/models/:name/predict', 'models.predict'],
  ['/v1/datasets/:name/rows', 'datasets.append'],
  ['/v1/models/:name/feedback', 'models.feedback'],
];
const hostileNames = ['..', '../../etc/passwd', '%00', '\u0000', 'a'.repeat(5000), '__proto__', 'constructor', '💥', ' ', 'NaN'];

/** Methods whose success starts work that goes on changing the store after the answer (trainings, pipeline runs). */
const backgroundWork = new Set<ApiMethod>(['training.start', 'models.retrain', 'pipelines.run']);

describe('HTTP fuzzer', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('http');
    // Something for the generated names ("fuzz") to find: a dataset with rules, so reads and checks do real work.
    const csv = new Blob([syntheticCsv('binary', 60)]);
    const { uploadId } = (await (
      await fetch(`${h.server!.url}/api/uploads`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${testToken}`, 'content-type': 'text/csv' },
        body: csv,
      })
    ).json()) as { uploadId: string };
    await h.client.call('datasets.ingest', { name: 'fuzz', uploadId, fileName: 'fuzz.csv' });
  });
  after(async () => {
    await h.close();
  });

  it(`sends ${cases} seeded hostile calls: no 500, coded refusals, a live server and an unchanged store after each refusal`, async () => {
    const url = h.server!.url;
    const random = seededRandom(seed);
    const gen = new Generator(random);
    const methods = Object.keys(apiSchemas) as ApiMethod[];
    const schemas = new Map(
      methods.map((m) => [m, z.toJSONSchema(apiSchemas[m], { io: 'input', unrepresentable: 'any' }) as JsonSchema]),
    );
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let digest = storeDigest(h);
    let busy = false;
    for (let i = 0; i < cases; i++) {
      const method = gen.pick(methods);
      let args = gen.valid(schemas.get(method)!);
      // One call in ten goes to a stable REST route instead, its name in the path (sometimes a hostile one).
      let path = `/api/${method}`;
      if (random() < 0.1) {
        const [route, from] = gen.pick(restRoutes);
        const name = random() < 0.7 ? 'fuzz' : gen.pick(hostileNames);
        path = route.replace(':name', encodeURIComponent(name));
        const { name: _dropped, ...rest } = gen.valid(schemas.get(from)!) as Record<string, unknown>;
        args = from === 'datasets.append' && random() < 0.5 ? rest.rows : rest;
      }
      const mode = random();
      let body: string | Buffer;
      let type: string | null = 'application/json';
      if (mode < 0.12) body = JSON.stringify(args);
      else if (mode < 0.72) body = gen.broken(args);
      else if (mode < 0.85) body = gen.extraKey(args);
      else ({ body, type } = gen.pick(hostileBodies)());
      const headers: Record<string, string> = { authorization: `Bearer ${testToken}` };
      if (type !== null) headers['content-type'] = type;
      const response = await fetch(`${url}${path}`, { method: 'POST', headers, body });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const label = `case ${i} ${path} ${typeof body === 'string' ? body.slice(0, 160) : '<bytes>'}`;
      if (response.status >= 500) failures.push(`${label} → ${response.status} ${text.slice(0, 300)}`);
      if (response.status >= 400) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = null;
        }
        const e = parsed as { code?: unknown; message?: unknown; statusCode?: unknown } | null;
        if (e === null || !isErrorCode(e.code) || typeof e.message !== 'string' || 'statusCode' in e)
          failures.push(`${label} → ${response.status}, not a coded error: ${text.slice(0, 300)}`);
        // A refusal leaves the store as it was; the digest is skipped while a started job may still be writing.
        const now = storeDigest(h);
        // A training or retraining that starts and then fails is recorded as a failed job, on purpose.
        const moved = changed(digest, now).filter((t) => !(t === 'jobs' && backgroundWork.has(method)));
        if (!busy && moved.length > 0)
          failures.push(`${label} → ${response.status} ${text.slice(0, 200)}, but ${moved.join(', ')} changed`);
        digest = now;
      } else {
        if (backgroundWork.has(method)) busy = true;
        digest = storeDigest(h);
      }
      if (busy && i % 25 === 0) {
        // Quiet again once no training or pipeline run is in flight.
        const running = h.engine.db.prepare("SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')").get() as {
          n: number;
        };
        if (running.n === 0) {
          busy = false;
          digest = storeDigest(h);
        }
      }
      if (i % 100 === 99) {
        const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
        assert.equal(health.status, 200, `/healthz after case ${i}`);
      }
      if (failures.length >= 20) break;
    }
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined, 'Object.prototype is polluted');
    console.log(`fuzz: ${cases} cases, seed ${seed}, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.deepEqual(failures, []);
  });
});
