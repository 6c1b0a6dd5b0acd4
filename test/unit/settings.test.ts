import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { defaultServingThreads } from '../../main/serving/session-pool.js';
import { configurationDocs } from '../../main/settings/reference.js';
import {
  effectiveConfig,
  parseConfig,
  resolveSettings,
  resolveStructured,
  setting,
  storeKeySource,
  useConfigFile,
} from '../../main/settings/resolve.js';
import { environmentValue, resolveDataDirSetting } from '../../main/settings/environment.js';
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
    // A list or object from its variable reaches the engine like the file's: here the backups' folder.
    process.env.HEARTH_BACKUPS = JSON.stringify({ everyHours: 24, dir: join(tmp.dir, 'elsewhere') });
    const engine = Engine.open(dataDir);
    try {
      assert.equal(engine.predictionLog.sampleRate, 0.25);
      assert.equal(setting('uploads.quotaMiB'), 3);
      assert.equal(engine.backupDir, join(tmp.dir, 'elsewhere'));
      assert.deepEqual(engine.config?.watch, []);
    } finally {
      delete process.env.HEARTH_BACKUPS;
      engine.close();
      useConfigFile(null);
    }
  });

  it('a remote that cannot be applied is named by where it came from: the variable, or the file', () => {
    const dataDir = join(tmp.dir, 'data-remotes');
    mkdirSync(dataDir, { recursive: true });
    const remote = { name: 'central', url: 'https://registry.example', tokenFile: join(tmp.dir, 'no-such-token') };
    process.env.HEARTH_REMOTES = JSON.stringify([remote]);
    try {
      assert.throws(
        () => Engine.open(dataDir),
        (e: Error) => /^HEARTH_REMOTES: remotes\.0: cannot read the secret file .*no-such-token$/.test(e.message),
      );
    } finally {
      delete process.env.HEARTH_REMOTES;
      useConfigFile(null);
    }
    writeFileSync(join(dataDir, 'hearth.config.json'), JSON.stringify({ remotes: [remote] }));
    try {
      assert.throws(
        () => Engine.open(dataDir),
        (e: Error) => e.message.startsWith(`${join(dataDir, 'hearth.config.json')}: remotes.0: cannot read the secret file`),
      );
    } finally {
      useConfigFile(null);
    }
  });

  it('the retention and request-log settings layer like the others', () => {
    const file = parseConfig(JSON.stringify({ retention: { collectEveryHours: 24 }, server: { requestLog: 'all' } }), 'c.json');
    assert.deepEqual(valueOf('retention.collectEveryHours', { env: {} }), { value: 6, source: 'default' });
    assert.deepEqual(valueOf('retention.collectEveryHours', { file, env: {} }), { value: 24, source: 'file' });
    assert.deepEqual(valueOf('retention.collectEveryHours', { file, env: { HEARTH_COLLECT_EVERY_HOURS: '0.5' } }), {
      value: 0.5,
      source: 'env',
    });
    assert.deepEqual(valueOf('server.requestLog', { env: {} }), { value: 'errors', source: 'default' });
    assert.deepEqual(valueOf('server.requestLog', { file, env: {} }), { value: 'all', source: 'file' });
    assert.deepEqual(valueOf('server.requestLog', { file, env: { HEARTH_REQUEST_LOG: 'off' } }), { value: 'off', source: 'env' });
    assert.deepEqual(
      valueOf('server.requestLog', { file, env: { HEARTH_REQUEST_LOG: 'off' }, flags: { 'request-log': 'errors' } }),
      {
        value: 'errors',
        source: 'flag',
      },
    );
    assert.throws(() => resolveSettings({ env: { HEARTH_REQUEST_LOG: 'verbose' } }), /HEARTH_REQUEST_LOG: .*"off"/);
    assert.throws(() => resolveSettings({ env: { HEARTH_COLLECT_EVERY_HOURS: '0' } }), /HEARTH_COLLECT_EVERY_HOURS: .*>0/);
  });

  it('a list or object of the file is also a JSON variable, over the file, with its source', () => {
    const file = parseConfig(JSON.stringify({ watch: [{ dir: '/srv/a', dataset: 'a' }], backups: { everyHours: 12 } }), 'c.json');
    const watch = JSON.stringify([{ dir: '/srv/b', dataset: 'b', intervalSeconds: 5 }]);
    const of = (key: 'watch' | 'backups' | 'pipelines', env: NodeJS.ProcessEnv) => {
      const r = resolveStructured(key, { file, filePath: 'c.json', env });
      return { value: r.value, source: r.source, from: r.from };
    };
    assert.deepEqual(of('watch', {}), { value: [{ dir: '/srv/a', dataset: 'a' }], source: 'file', from: 'c.json' });
    assert.deepEqual(of('watch', { HEARTH_WATCH: watch }), {
      value: [{ dir: '/srv/b', dataset: 'b', intervalSeconds: 5 }],
      source: 'env',
      from: 'HEARTH_WATCH',
    });
    // The schema's defaults apply to a variable as to the file (keep: 7).
    assert.deepEqual(of('backups', { HEARTH_BACKUPS: '{"everyHours":1}' }).value, { everyHours: 1, keep: 7 });
    assert.deepEqual(of('backups', {}).value, { everyHours: 12, keep: 7 });
    // Not written in the file: the default (an empty list), not "file" though the parsed file holds [].
    assert.deepEqual(of('pipelines', {}), { value: [], source: 'default', from: 'default' });
    const schedule = JSON.stringify([{ file: 'p.json', schedule: '0 3 * * *' }]);
    assert.deepEqual(of('pipelines', { HEARTH_PIPELINES: schedule }).value, [{ file: 'p.json', schedule: '0 3 * * *' }]);
    // What the engine runs: the file with the variables over it; nothing at all without either.
    const effective = effectiveConfig(file, { HEARTH_PIPELINES: schedule });
    assert.deepEqual(effective?.pipelines, [{ file: 'p.json', schedule: '0 3 * * *' }]);
    assert.deepEqual(effective?.watch, [{ dir: '/srv/a', dataset: 'a' }]);
    assert.equal(effectiveConfig(null, {}), null);
    assert.deepEqual(effectiveConfig(null, { HEARTH_WATCH: watch })?.watch, [
      { dir: '/srv/b', dataset: 'b', intervalSeconds: 5 },
    ]);
  });

  it('refuses a bad JSON variable with the path of the key at fault, as the file is refused', () => {
    assert.throws(
      () => effectiveConfig(null, { HEARTH_WATCH: '[{"dir":"a","dataset":"b","intervalSecond":3}]' }),
      /HEARTH_WATCH: watch\.0\.intervalSecond: unknown key \(did you mean watch\.0\.intervalSeconds\?\)$/,
    );
    assert.throws(
      () => effectiveConfig(null, { HEARTH_PIPELINES: '[{"file":"p.json","schedule":"daily"}]' }),
      /HEARTH_PIPELINES: pipelines\.0\.schedule: /,
    );
    assert.throws(
      () => effectiveConfig(null, { HEARTH_BACKUPS: '{"everyHours":-1}' }),
      /HEARTH_BACKUPS: backups\.everyHours: .*>0/,
    );
    assert.throws(() => effectiveConfig(null, { HEARTH_BACKUPS: '{everyHours: 1}' }), /HEARTH_BACKUPS is not JSON/);
    assert.throws(
      () => effectiveConfig(null, { HEARTH_ALLOWED_HOSTS: '["ok.example", "bad host:80"]' }),
      /HEARTH_ALLOWED_HOSTS: allowedHosts\.1: /,
    );
  });

  it('the data folder and the store key file come through the settings with their sources', () => {
    assert.deepEqual(resolveDataDirSetting('/x/flag', { HEARTH_DATA_DIR: '/x/env' }), {
      value: '/x/flag',
      source: 'flag',
      from: '--data-dir',
    });
    assert.deepEqual(resolveDataDirSetting(undefined, { HEARTH_DATA_DIR: '/x/env' }), {
      value: '/x/env',
      source: 'env',
      from: 'HEARTH_DATA_DIR',
    });
    const platform = resolveDataDirSetting(undefined, { HEARTH_DATA_DIR: '', XDG_DATA_HOME: '/x/xdg' });
    assert.equal(platform.source, 'default');
    if (process.platform === 'linux') assert.equal(platform.value, '/x/xdg/hearth');
    const file = parseConfig(JSON.stringify({ store: { keyFile: '/run/secrets/from-file' } }), 'c.json');
    assert.deepEqual(storeKeySource(file, {}), { key: undefined, passphrase: undefined, keyFile: '/run/secrets/from-file' });
    assert.deepEqual(storeKeySource(file, { HEARTH_STORE_KEY_FILE: '/run/secrets/from-env', HEARTH_STORE_PASSPHRASE: '' }), {
      key: undefined,
      passphrase: undefined,
      keyFile: '/run/secrets/from-env',
    });
    assert.equal(environmentValue('HEARTH_TOKEN', { HEARTH_TOKEN: '' }), undefined);
    assert.throws(() => environmentValue('HEARTH_NOT_A_SETTING', {}), /not an environment-only setting/);
  });

  it('no engine file reads a HEARTH_* variable but through the settings module', () => {
    const main = fileURLToPath(new URL('../../../main/', import.meta.url));
    const offenders: string[] = [];
    for (const entry of readdirSync(main, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
      const path = join(entry.parentPath, entry.name);
      if (relative(main, path).startsWith('settings')) continue;
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // A read: process.env.HEARTH_X or env.HEARTH_X or env['HEARTH_X'], not an assignment passed on to children.
          if (/env(\.HEARTH_|\[['"]HEARTH_)/.test(line) && !/env\.HEARTH_[A-Z_]+ = /.test(line))
            offenders.push(`${relative(main, path)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
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
