import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const tmp = tempDir();
after(tmp.cleanup);

function hearth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: tmp.dir,
    env: { ...process.env, HEARTH_DATA_DIR: join(tmp.dir, 'data'), ORT_DISABLE_TELEMETRY: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 60 rows whose label is x1 > 0.5: a linear model trains in a moment. */
function smallCsv(): string {
  const lines = ['x1,colour,label'];
  for (let i = 0; i < 60; i++) {
    const x = ((i * 37) % 60) / 60;
    lines.push(`${x.toFixed(3)},${['red', 'blue', 'green'][i % 3]},${x > 0.5 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('CLI: hostile --out for every command that writes a file, refs for models export; options that look like values', () => {
  const dir = join(tmp.dir, 'out');
  before(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(tmp.dir, 'd.csv'), smallCsv());
    assert.equal(hearth('ingest', join(tmp.dir, 'd.csv'), '--dataset', 'd').status, 0);
    const trained = hearth('train', '--dataset', 'd', '--target', 'label', '--algorithm', 'linear', '--model', 'm');
    assert.equal(trained.status, 0, trained.stderr);
  });

  it('never writes through a symbolic link, even with --force; the linked file is untouched', () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    const link = join(dir, 'link.onnx');
    symlinkSync(victim, link);
    for (const extra of [[], ['--force']]) {
      const r = hearth('models', 'export', 'm', '--out', link, ...extra);
      assert.equal(r.status, 2, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /symbolic link/);
      assert.equal(readFileSync(victim, 'utf8'), 'keep me\n');
      assert.equal(readlinkSync(link), victim);
    }
    // A dangling link is not a way to create its target either.
    const dangling = join(dir, 'dangling.onnx');
    symlinkSync(join(dir, 'nowhere.txt'), dangling);
    assert.equal(hearth('models', 'export', 'm', '--out', dangling, '--force').status, 2);
    assert.equal(existsSync(join(dir, 'nowhere.txt')), false);
  });

  it('refuses a directory, an empty name and a missing folder as usage errors (exit 2, JSON on stdout with --json)', () => {
    for (const extra of [[], ['--force']]) {
      const r = hearth('models', 'export', 'm', '--out', dir, ...extra, '--json');
      assert.equal(r.status, 2, r.stderr);
      const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'USAGE');
      assert.match(error.message, /is a directory/);
    }
    const missing = hearth('models', 'export', 'm', '--out', join(dir, 'no-such-folder', 'm.onnx'), '--json');
    assert.equal(missing.status, 2, missing.stderr);
    assert.match((JSON.parse(missing.stdout) as { error: { message: string } }).error.message, /no such folder/);
    assert.equal(hearth('models', 'export', 'm', '--out=', '--json').status, 2);
  });

  it('replaces a plain file only with --force, and a path with .. lands where it says', () => {
    const file = join(dir, 'sub', '..', 'plain.onnx');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'plain.onnx'), 'old');
    assert.equal(hearth('models', 'export', 'm', '--out', file).status, 2);
    assert.equal(readFileSync(join(dir, 'plain.onnx'), 'utf8'), 'old');
    assert.equal(hearth('models', 'export', 'm', '--out', file, '--force').status, 0);
    const bytes = readFileSync(join(dir, 'plain.onnx'));
    assert.ok(bytes.length > 100 && lstatSync(join(dir, 'plain.onnx')).isFile());
  });

  it('every command that writes a file refuses an existing file without --force, a link and a folder', () => {
    const rules = hearth('rules', 'suggest', 'd', '--save');
    assert.equal(rules.status, 0, rules.stderr);
    const input = join(tmp.dir, 'd.csv');
    const writers: { name: string; args: (out: string) => string[]; looks: RegExp }[] = [
      { name: 'models report', args: (o) => ['models', 'report', 'm', '--out', o], looks: /^<!doctype html>/i },
      { name: 'rules report', args: (o) => ['rules', 'report', 'd', '--out', o], looks: /^<!doctype html>/i },
      { name: 'datasets export (CSV)', args: (o) => ['datasets', 'export', 'd', '--out', o], looks: /^x1,colour,label\n/ },
      {
        name: 'datasets export (Parquet)',
        args: (o) => ['datasets', 'export', 'd', '--out', o, '--format', 'parquet'],
        looks: /^PAR1/,
      },
      { name: 'predict', args: (o) => ['predict', '--model', 'm', input, '--out', o], looks: /^x1,colour,label,prediction/ },
    ];
    const hostile = join(tmp.dir, 'hostile');
    mkdirSync(hostile, { recursive: true });
    // A stand-in for /etc/passwd: what a link planted at the --out path would have the command overwrite.
    const passwd = join(hostile, 'passwd');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
    writers.forEach((w, i) => {
      // An existing plain file: kept as it was without --force, replaced with it.
      const existing = join(hostile, `existing-${i}`);
      writeFileSync(existing, 'old');
      const refused = hearth(...w.args(existing), '--json');
      assert.equal(refused.status, 2, `${w.name}: ${refused.stdout}${refused.stderr}`);
      assert.match((JSON.parse(refused.stdout) as { error: { message: string } }).error.message, /exists: add --force/, w.name);
      assert.equal(readFileSync(existing, 'utf8'), 'old', w.name);
      const forced = hearth(...w.args(existing), '--force');
      assert.equal(forced.status, 0, `${w.name}: ${forced.stderr}`);
      assert.match(readFileSync(existing, 'latin1'), w.looks, w.name);
      assert.ok(lstatSync(existing).isFile(), w.name);
      // A link to another file is never written through, with or without --force.
      const link = join(hostile, `link-${i}`);
      symlinkSync(passwd, link);
      for (const extra of [[], ['--force']]) {
        const r = hearth(...w.args(link), ...extra);
        assert.equal(r.status, 2, `${w.name} ${extra.join('')}: ${r.stderr}`);
        assert.match(r.stderr, /symbolic link/, w.name);
        assert.equal(readFileSync(passwd, 'utf8'), 'root:x:0:0:root:/root:/bin/bash\n', w.name);
        assert.equal(readlinkSync(link), passwd, w.name);
      }
      // A folder is not a file name.
      for (const extra of [[], ['--force']]) {
        const r = hearth(...w.args(hostile), ...extra);
        assert.equal(r.status, 2, `${w.name}: ${r.stderr}`);
        assert.match(r.stderr, /is a directory/, w.name);
      }
      // A new name is written, and no temporary file is left beside it.
      const fresh = join(hostile, `fresh-${i}`);
      const written = hearth(...w.args(fresh));
      assert.equal(written.status, 0, `${w.name}: ${written.stderr}`);
      assert.match(readFileSync(fresh, 'latin1'), w.looks, w.name);
    });
    assert.deepEqual(
      readdirSync(hostile).filter((f) => f.startsWith('.hearth-')),
      [],
    );
    // Without --out a report goes to its own name in the working folder, and is not replaced there either.
    const first = hearth('models', 'report', 'm', '--json');
    assert.equal(first.status, 0, first.stderr);
    const name = (JSON.parse(first.stdout) as { out: string }).out;
    writeFileSync(join(tmp.dir, name), 'mine');
    assert.equal(hearth('models', 'report', 'm').status, 2);
    assert.equal(readFileSync(join(tmp.dir, name), 'utf8'), 'mine');
  });

  it('reads NAME@V strictly: hex, exponent and padded versions are refused, not read as 1', () => {
    for (const ref of ['m@0x1', 'm@1e0', 'm@ 1', 'm@1.0', 'm@+1', 'm@01x']) {
      const r = hearth('models', 'export', ref, '--out', join(dir, 'never.onnx'), '--json');
      assert.equal(r.status, 1, `${ref}: ${r.stdout}`);
      assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'VALIDATION_FAILED', ref);
    }
    assert.equal(existsSync(join(dir, 'never.onnx')), false);
  });

  it('an option given another option as its value is a usage error in a sentence, not the parser text', () => {
    const r = hearth('models', 'export', 'm', '--out', '--force', '--json');
    assert.equal(r.status, 2);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'USAGE');
    assert.match(error.message, /^--out needs a value/);
    assert.doesNotMatch(error.message, /ambiguous/);
  });

  it('a --json after -- is a word, not the switch: the error is text on stderr', () => {
    const after = hearth('models', 'export', 'nobody', '--', '--json');
    assert.equal(after.stdout, '');
    assert.match(after.stderr, /^hearth: /);
  });

  it('overview with two production models loads both and prints them (two loads at once kept the process alive)', () => {
    const second = hearth('train', '--dataset', 'd', '--target', 'label', '--algorithm', 'linear', '--model', 'm2');
    assert.equal(second.status, 0, second.stderr);
    const r = hearth('overview', '--json');
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    const overview = JSON.parse(r.stdout) as { production: { model: string }[] };
    assert.deepEqual(overview.production.map((p) => p.model).sort(), ['m', 'm2']);
  });

  it('an empty --data-dir is refused, not read as "the default store" (an unset $DIR would write elsewhere)', () => {
    for (const args of [
      ['--data-dir=', 'datasets', 'list'],
      ['--data-dir', '', 'datasets', 'list'],
    ]) {
      const r = hearth(...args, '--json');
      assert.equal(r.status, 2, `${JSON.stringify(args)}: ${r.stdout}`);
      assert.match((JSON.parse(r.stdout) as { error: { message: string } }).error.message, /--data-dir needs a value/);
    }
  });
});
