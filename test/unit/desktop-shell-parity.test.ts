import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallOutcome } from '../../main/contracts/transport.js';
import {
  configWithStream,
  parseDesktopAction,
  performDesktopAction,
  rotateWithEngineStopped,
  type ActionDeps,
  type FileProbe,
} from '../../main/desktop/desktop-actions.js';

/** What the CLI does that the desktop now does too: key rotation, backup to a file, scoring a file, adding a stream. */

const files: Record<string, number | 'dir'> = { '/home/u/rows.csv': 300, '/home/u/rows.parquet': 300, '/home/u': 'dir' };
const fs: FileProbe = {
  realpath: (p) => {
    if (files[p] === undefined) throw new Error('ENOENT');
    return p;
  },
  stat: (p) => {
    const e = files[p]!;
    return { isFile: () => e !== 'dir', isDirectory: () => e === 'dir', size: e === 'dir' ? 0 : e };
  },
};

const notAsked = (): Promise<never> => Promise.reject(new Error('not asked'));

function deps(chosen: Partial<Record<'backup' | 'score-input' | 'score-output', string | null>>, sent: unknown[]): ActionDeps {
  return {
    fs,
    callLocal: notAsked,
    restore: notAsked,
    chooseFolder: notAsked,
    addWatch: notAsked,
    addStream: notAsked,
    rotateKey: notAsked,
    chooseFile: (purpose) => Promise.resolve(chosen[purpose] ?? null),
    callEngine: (request): Promise<CallOutcome> => {
      sent.push(request);
      return Promise.resolve({ ok: true, result: 'done' });
    },
  };
}

const stream = { mqtt: 'mqtt://broker:1883', in: 'sensors/in', out: 'sensors/out', model: 'churn' };

describe('desktop parity with the CLI', () => {
  it('refuses a path from the window: the backup and scoring requests name no file, rotation takes no key', () => {
    for (const bad of [
      { action: 'backup-to', to: '/etc/cron.d/x' },
      { action: 'backup-to', passphrase: 'short' },
      { action: 'predict-file', model: 'churn', input: '/etc/shadow' },
      { action: 'predict-file', model: 'churn', out: '/home/u/.bashrc' },
      { action: 'predict-file', model: '../churn' },
      { action: 'predict-file', model: 'churn@0' },
      { action: 'rotate-key', newKey: 'abc' },
      { action: 'add-stream', stream: { ...stream, mqtt: 'http://broker' } },
      { action: 'add-stream', stream: { ...stream, model: '' } },
      { action: 'add-stream', stream: { ...stream, command: 'rm -rf /' } },
    ])
      assert.equal(parseDesktopAction(bad).ok, false, JSON.stringify(bad));
    for (const good of [
      { action: 'backup-to' },
      { action: 'backup-to', passphrase: 'a long passphrase' },
      { action: 'predict-file', model: 'churn@3' },
      { action: 'rotate-key' },
      { action: 'add-stream', stream: { ...stream, dataset: 'readings', appendRows: 100 } },
    ])
      assert.equal(parseDesktopAction(good).ok, true, JSON.stringify(good));
    assert.match(
      (parseDesktopAction({ action: 'add-stream', stream: { ...stream, mqtt: 'http://b' } }) as { message: string }).message,
      /^stream\.mqtt: /,
    );
  });

  it('backs up to the file chosen in the save dialog, and does nothing when it is cancelled', async () => {
    const sent: unknown[] = [];
    const action = parseDesktopAction({ action: 'backup-to', passphrase: 'a long passphrase' });
    assert.ok(action.ok);
    assert.deepEqual(await performDesktopAction(action.action, deps({ backup: '/media/usb/h.hbk' }, sent)), {
      ok: true,
      result: 'done',
    });
    assert.deepEqual(await performDesktopAction(action.action, deps({ backup: null }, sent)), {
      ok: true,
      result: { file: null },
    });
    assert.deepEqual(sent, [{ kind: 'backup-to', to: '/media/usb/h.hbk', passphrase: 'a long passphrase' }]);
  });

  it('scores the CSV chosen in the open dialog into the file chosen in the save dialog; refuses a Parquet input', async () => {
    const sent: unknown[] = [];
    const action = parseDesktopAction({ action: 'predict-file', model: 'churn@2' });
    assert.ok(action.ok);
    const both = { 'score-input': '/home/u/rows.csv', 'score-output': '/home/u/out.csv' };
    assert.deepEqual(await performDesktopAction(action.action, deps(both, sent)), { ok: true, result: 'done' });
    const parquet = await performDesktopAction(action.action, deps({ ...both, 'score-input': '/home/u/rows.parquet' }, sent));
    assert.equal(parquet.ok ? '' : parquet.error.code, 'VALIDATION_FAILED');
    const missing = await performDesktopAction(action.action, deps({ ...both, 'score-input': '/home/u/gone.csv' }, sent));
    assert.equal(missing.ok ? '' : missing.error.message, 'gone.csv: cannot be read');
    const cancelled = await performDesktopAction(action.action, deps({ 'score-input': '/home/u/rows.csv' }, sent));
    assert.deepEqual(cancelled, { ok: true, result: { out: null } });
    assert.deepEqual(sent, [{ kind: 'predict-file', model: 'churn@2', input: '/home/u/rows.csv', out: '/home/u/out.csv' }]);
  });

  it('adds a stream to the config file keeping the rest, checked by its schema; the same broker topic twice conflicts', () => {
    const before = '{"server": {"port": 9000}, "streams": [{"mqtt": "mqtt://a:1883", "in": "t", "out": "o", "model": "m"}]}';
    assert.deepEqual(JSON.parse(configWithStream(before, 'hearth.config.json', stream)), {
      server: { port: 9000 },
      streams: [{ mqtt: 'mqtt://a:1883', in: 't', out: 'o', model: 'm' }, stream],
    });
    assert.deepEqual(JSON.parse(configWithStream(null, 'c.json', stream)), { streams: [stream] });
    assert.throws(
      () => configWithStream(before, 'c.json', { ...stream, mqtt: 'mqtt://a:1883', in: 't' }),
      /mqtt:\/\/a:1883 topic t already has a stream/,
    );
    assert.throws(() => configWithStream('{"streams": {}}', 'c.json', stream), /streams is not a list/);
    assert.throws(() => configWithStream('{"nonsense": 1}', 'c.json', stream), /c\.json/);
    assert.throws(() => configWithStream('[1]', 'c.json', stream), /does not hold a JSON object/);
  });

  it('rotates with the engine stopped: new key staged, store re-keyed, key committed, engine started; a failure commits nothing', async () => {
    const order: string[] = [];
    const steps = (fail: boolean) => ({
      stopEngine: async () => void order.push('stop'),
      stageKey: () => void order.push('stage'),
      rotate: () => {
        order.push('rotate');
        if (fail) throw new Error('the current key does not open this store');
        return { blobs: 3, alreadyDone: 0 };
      },
      commitKey: () => void order.push('commit'),
      startEngine: () => void order.push('start'),
    });
    assert.deepEqual(await rotateWithEngineStopped(steps(false)), { blobs: 3, alreadyDone: 0 });
    assert.deepEqual(order, ['stop', 'stage', 'rotate', 'commit', 'start']);
    order.length = 0;
    await assert.rejects(rotateWithEngineStopped(steps(true)), /does not open/);
    assert.deepEqual(order, ['stop', 'stage', 'rotate', 'start']);
  });
});
