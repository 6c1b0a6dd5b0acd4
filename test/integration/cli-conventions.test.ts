import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { cliManPage } from '../../main/cli/docs.js';
import { commandExamples } from '../../main/cli/examples.js';
import { checkOptions, editDistance, flagsOf, nearest, subcommandsOf } from '../../main/cli/option-check.js';
import { commandsByName, commands } from '../../main/cli/table.js';
import { tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = tempDir();
after(tmp.cleanup);
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };

function hearth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HEARTH_DATA_DIR: `${tmp.dir}/data` },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe('CLI conventions', () => {
  it('--version prints the version alone; version --json names every component', () => {
    const short = hearth('--version');
    assert.equal(short.status, 0);
    assert.equal(short.stdout, `hearth ${pkg.version}\n`);
    const long = hearth('version', '--json');
    assert.equal(long.status, 0);
    const v = JSON.parse(long.stdout) as Record<string, unknown> & { tensorflow: Record<string, unknown> };
    const require = createRequire(`${root}package.json`);
    assert.equal(v.hearth, pkg.version);
    assert.equal(v.onnxRuntime, (require('onnxruntime-node/package.json') as { version: string }).version);
    assert.equal(v.tensorflow.core, (require('@tensorflow/tfjs-core/package.json') as { version: string }).version);
    assert.match(String(v.sqlite), /^3\.\d+\.\d+$/);
    assert.equal(v.node, process.version);
    // No data folder is made to answer.
    assert.equal(spawnSync('test', ['-e', `${tmp.dir}/data`]).status, 1);
  });

  it('prints one command’s usage with an example for `help CMD` and `CMD --help`, the same text', () => {
    const a = hearth('help', 'train');
    const b = hearth('train', '--help');
    assert.equal(a.status, 0);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /^hearth train: /);
    assert.match(a.stdout, /Examples:\n {2}hearth train --dataset/);
    assert.ok(a.stdout.split('\n').length < 60, 'one command, not the whole manual');
    const misspelt = hearth('help', 'trian');
    assert.equal(misspelt.status, 2);
    assert.match(misspelt.stderr, /no command "trian" \(did you mean train\?\)/);
  });

  it('has an example for every command, each using only options its command takes', () => {
    for (const c of commands) {
      const examples = commandExamples[c.name] ?? [];
      assert.ok(examples.length > 0, `${c.name} has an example`);
      for (const e of examples) {
        const words = e.split(' ');
        assert.equal(words[0], 'hearth', e);
        const named = commandsByName.get(words[1]!) ?? (words[1] === '--version' ? undefined : null);
        assert.notEqual(named, null, `${e}: names a command`);
        assert.doesNotThrow(
          () =>
            checkOptions(
              words.slice(1).filter((w) => !w.includes("'")),
              named ?? undefined,
            ),
          e,
        );
      }
    }
  });

  it('refuses an unknown or misspelt option with exit 2, naming the one meant', () => {
    const typo = hearth('train', '--dataset', 'x', '--trese', '10');
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /^hearth: unknown option --trese \(did you mean --trees\?\)\n\nRun `hearth train --help`/);
    const other = hearth('ingest', 'file.csv', '--trees', '3');
    assert.equal(other.status, 2);
    assert.match(other.stderr, /hearth ingest does not take --trees/);
    const missing = hearth('ingest', 'file.csv', '--dataset');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--dataset needs a value/);
    const switchValue = hearth('models', 'list', '--json=yes');
    assert.equal(switchValue.status, 2);
    assert.match(switchValue.stderr, /--json is a switch and takes no value/);
    const command = hearth('trian');
    assert.equal(command.status, 2);
    assert.match(command.stderr, /unknown command "trian" \(did you mean train\?\)/);
    // Under --json the refusal is a JSON document on stdout.
    const json = hearth('train', '--trese', '1', '--json');
    assert.equal(json.status, 2);
    assert.deepEqual(JSON.parse(json.stdout), {
      error: { code: 'USAGE', message: 'unknown option --trese (did you mean --trees?)' },
    });
  });

  it('measures edit distance with transpositions and suggests only near words', () => {
    assert.equal(editDistance('trese', 'trees'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(nearest('datset', ['dataset', 'target']), 'dataset');
    assert.equal(nearest('zzzz', ['dataset', 'target']), undefined);
    assert.deepEqual(subcommandsOf(commandsByName.get('datasets')!).sort(), [
      'diff',
      'export',
      'k-anonymity',
      'list',
      'pii',
      'show',
    ]);
    assert.ok(flagsOf(commandsByName.get('ingest')!).has('delimiter'));
  });

  it('writes a bash completion that completes commands, subcommands and the command’s options', () => {
    const script = hearth('completion', 'bash');
    assert.equal(script.status, 0);
    assert.equal(spawnSync('bash', ['-n'], { input: script.stdout }).status, 0, 'bash -n');
    const complete = (...words: string[]): string[] => {
      const program = `${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _hearth; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return spawnSync('bash', ['-c', program], { encoding: 'utf8' }).stdout.trim().split('\n');
    };
    assert.deepEqual(complete('hearth', 'tra'), ['train']);
    assert.deepEqual(complete('hearth', 'train', '--tre'), ['--trees']);
    assert.deepEqual(complete('hearth', 'datasets', 'ex'), ['export']);
    assert.equal(hearth('completion', 'tcsh').status, 2);
  });

  it('writes zsh and fish completions their shells parse', (t) => {
    const zsh = hearth('completion', 'zsh').stdout;
    const fish = hearth('completion', 'fish').stdout;
    assert.match(zsh, /^#compdef hearth/);
    assert.match(fish, /complete -c hearth -n '__fish_seen_subcommand_from train' -l trees/);
    if (!has('zsh') || !has('fish')) {
      t.skip('zsh or fish is not installed (scripts/install-deps.sh installs both)');
      return;
    }
    const zshFile = writeFile(tmp.dir, '_hearth', zsh);
    const fishFile = writeFile(tmp.dir, 'hearth.fish', fish);
    const zshCheck = spawnSync('zsh', ['-n', zshFile], { encoding: 'utf8' });
    assert.equal(zshCheck.status, 0, `zsh -n: ${zshCheck.stderr}`);
    const fishCheck = spawnSync('fish', ['--no-config', '--no-execute', fishFile], { encoding: 'utf8' });
    assert.equal(fishCheck.status, 0, `fish --no-execute: ${fishCheck.stderr}`);
  });

  it('prints a man page that groff reads without a warning, the same as docs/hearth.1', () => {
    const man = hearth('man');
    assert.equal(man.status, 0);
    assert.equal(man.stdout, cliManPage());
    assert.equal(readFileSync(`${root}docs/hearth.1`, 'utf8'), man.stdout, 'docs/hearth.1 is stale: npm run docs:cli');
    const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: man.stdout, encoding: 'utf8' });
    assert.equal(groff.status, 0);
    assert.equal(groff.stderr, '');
    for (const c of commands) assert.ok(man.stdout.includes(`.SS ${c.name.replace(/-/g, '\\-')}`), c.name);
  });

  it('keeps native libraries’ messages off the terminal unless --verbose', () => {
    const quiet = hearth('doctor');
    assert.equal(quiet.status, 0);
    assert.doesNotMatch(quiet.stderr, /artificially reduced|Warning:/);
    assert.doesNotMatch(quiet.stdout, /artificially reduced|Warning:/);
  });
});
