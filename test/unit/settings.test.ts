import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { defaultServingThreads } from '../../main/serving/session-pool.js';
import { configurationDocs } from '../../main/settings/reference.js';
import { parseConfig, resolveSettings, setting, useConfigFile } from '../../main/settings/resolve.js';
import { settings } from '../../main/settings/settings.js';
import { tempDir } from '../helpers.js';

const valueOf = (key: string, layers: Parameters<typeof resolveSettings>[0]): { value: unknown; source: string } => {
  const r = resolveSettings(layers).find((s) => s.setting.key === key)!;
  return { value: r.value, source: r.source };
};

describe('settings: one schema, four layers', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('layers default < file < HEARTH_* variable < flag, with the source of each', () => {
    const file = parseConfig(JSON.stringify({ server: { port: 8000, host: '0.0.0.0' } }), 'c.json');
    assert.deepEqual(valueOf('server.port', { env: {} }), { value: 7420, source: 'default' });
    assert.deepEqual(valueOf('server.port', { file, env: {} }), { value: 8000, source: 'file' });
    assert.deepEqual(valueOf('server.port', { file, env: { HEARTH_PORT: '8001' } }), { value: 8001, source: 'env' });
    assert.deepEqual(valueOf('server.port', { file, env: { HEARTH_PORT: '8001' }, flags: { port: '8002' } }), {
      value: 8002,
      source: 'flag',
    });
    // An empty variable is unset, as HEARTH_DATA_DIR always was.
    assert.deepEqual(valueOf('server.host', { file, env: { HEARTH_HOST: '' } }), { value: '0.0.0.0', source: 'file' });
    // A setting without a flag ignores a flag of another's name.
    assert.deepEqual(valueOf('serving.logSample', { env: {}, flags: { 'log-sample': '0.1' } }), { value: 1, source: 'default' });
  });

  it('checks a variable or flag against the same bounds as the file', () => {
    assert.throws(
      () => resolveSettings({ env: { HEARTH_SERVE_THREADS: 'four' } }),
      /HEARTH_SERVE_THREADS: "four" is not a number/,
    );
    assert.throws(
      () => resolveSettings({ env: { HEARTH_SERVE_THREADS: '1.5' } }),
      /HEARTH_SERVE_THREADS: must be a whole number/,
    );
    assert.throws(() => resolveSettings({ env: { HEARTH_LOG_SAMPLE: '1.5' } }), /HEARTH_LOG_SAMPLE: .*<=1/);
    assert.throws(() => resolveSettings({ env: {}, flags: { port: '70000' } }), /--port: .*<=65535/);
  });

  it('refuses a bad file with every problem by its key path', () => {
    assert.throws(() => parseConfig('{ "server": ', 'c.json'), /c\.json is not JSON/);
    assert.throws(
      () =>
        parseConfig(
          JSON.stringify({ serer: {}, uploads: { quotaMib: 5 }, watch: [{ dir: 'a', dataset: 'b', interval: 3 }] }),
          'c.json',
        ),
      (error: Error) => {
        assert.match(error.message, /^c\.json: serer: unknown key \(did you mean server\?\)$/m);
        assert.match(error.message, /^c\.json: uploads\.quotaMib: unknown key \(did you mean uploads\.quotaMiB\?\)$/m);
        // Too far from any key to guess.
        assert.match(error.message, /^c\.json: watch\.0\.interval: unknown key$/m);
        return true;
      },
    );
    assert.throws(
      () => parseConfig(JSON.stringify({ server: { tlsCert: 'a.pem' } }), 'c.json'),
      /server\.tlsCert and server\.tlsKey together/,
    );
    assert.throws(
      () => parseConfig(JSON.stringify({ uploads: { maxAgeMinutes: 60 } }), 'c.json'),
      /uploads\.maxAgeMinutes: .*<=55/,
    );
  });

  it("the process's readers take the opened file's values below their variables", () => {
    const saved = process.env.HEARTH_SERVE_THREADS;
    try {
      delete process.env.HEARTH_SERVE_THREADS;
      useConfigFile(parseConfig(JSON.stringify({ serving: { threads: 3 } }), 'c.json'), 'c.json');
      assert.equal(defaultServingThreads(), 3);
      process.env.HEARTH_SERVE_THREADS = '2';
      assert.equal(defaultServingThreads(), 2);
      assert.equal(setting('monitoring.driftWindowSeconds'), 3600);
    } finally {
      useConfigFile(null);
      if (saved === undefined) delete process.env.HEARTH_SERVE_THREADS;
      else process.env.HEARTH_SERVE_THREADS = saved;
    }
  });

  it('an engine opened on a data folder uses its config file (prediction log sample, upload quota)', () => {
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      join(dataDir, 'hearth.config.json'),
      JSON.stringify({ serving: { logSample: 0.25 }, uploads: { quotaMiB: 3 } }),
    );
    const engine = Engine.open(dataDir);
    try {
      assert.equal(engine.predictionLog.sampleRate, 0.25);
      assert.equal(setting('uploads.quotaMiB'), 3);
    } finally {
      engine.close();
      useConfigFile(null);
    }
  });

  it('names a variable once and a flag once', () => {
    const envs = settings.map((s) => s.env);
    assert.equal(new Set(envs).size, envs.length);
    const flags = settings.flatMap((s) => (s.flag === undefined ? [] : [s.flag]));
    assert.equal(new Set(flags).size, flags.length);
  });

  it('docs/configuration.md is the one generated from the schema', () => {
    const file = readFileSync(fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)), 'utf8');
    assert.equal(file, configurationDocs(), 'docs/configuration.md is stale: run `npm run build && npm run docs:cli`');
    for (const s of settings) assert.ok(file.includes(`\`${s.env}\``), s.env);
  });
});
