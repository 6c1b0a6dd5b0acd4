import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostname } from 'node:os';
import { FailureThrottle, RefusalLog } from '../../main/api/access.js';
import { canonicalHost, hostChecker } from '../../main/api/hosts.js';
import type { AuditEntry } from '../../main/contracts/api.js';

type Row = Omit<AuditEntry, 'id' | 'at'>;

describe('RefusalLog', () => {
  it('writes one row per address and code a minute, then the count of the rest when the minute is over', () => {
    const rows: Row[] = [];
    const log = new RefusalLog((r) => rows.push(r), 60_000, 1000);
    for (let i = 0; i < 100; i++)
      log.refused({ remote: '10.0.0.1', action: 'sign-in', target: `/api/x${i}`, code: 'UNAUTHORIZED' }, 1000 + i);
    assert.equal(rows.length, 1);
    log.flush(30_000);
    assert.equal(rows.length, 1, 'a minute not yet over is not flushed');
    log.refused({ remote: '10.0.0.1', action: 'sign-in', target: '/api/y', code: 'UNAUTHORIZED' }, 61_500);
    assert.deepEqual(
      rows.map((r) => r.target),
      ['/api/x0', '+99 more in 60 s (last: /api/x99)', '/api/y'],
    );
  });

  it('shares one key among new addresses once it tracks maxKeys, so many addresses cannot flood the log', () => {
    const rows: Row[] = [];
    const log = new RefusalLog((r) => rows.push(r), 60_000, 10);
    for (let i = 0; i < 10_000; i++)
      log.refused({ remote: `10.1.${i >> 8}.${i & 255}`, action: 'sign-in', target: '/', code: 'UNAUTHORIZED' }, 5);
    log.flush(5, true);
    assert.equal(rows.length, 10 + 2);
    assert.deepEqual(
      rows.filter((r) => r.remote === '*').map((r) => r.target),
      ['/', '+9989 more in 60 s (last: /)'],
    );
  });
});

describe('FailureThrottle', () => {
  it('blocks a key after five failures, and nothing clears the count but time', () => {
    const t = new FailureThrottle();
    for (let i = 0; i < 4; i++) t.failed('k', 0);
    assert.equal(t.retryAfterSeconds('k', 0), 0);
    t.failed('k', 0);
    assert.equal(t.retryAfterSeconds('k', 0), 1);
    assert.equal(t.retryAfterSeconds('other', 0), 0);
  });
});

describe('Host header check', () => {
  it('reads only plain host[:port] headers, canonically', () => {
    assert.equal(canonicalHost('LocalHost.:8080'), 'localhost');
    assert.equal(canonicalHost('[0:0:0:0:0:0:0:1]:1'), '[::1]');
    for (const bad of [undefined, '', 'a@b', 'a b', 'a/b', 'a:99999', '[::g]', 'a:'])
      assert.equal(canonicalHost(bad), null, String(bad));
  });

  it('accepts the machine name and its own addresses only when bound to every interface', () => {
    const all = hostChecker('0.0.0.0', []);
    const one = hostChecker('192.0.2.10', ['box.example']);
    assert.equal(all(hostname()), true);
    assert.equal(all('203.0.113.99'), false);
    assert.equal(one(hostname()), hostname() === 'localhost');
    assert.equal(one('192.0.2.10:7420'), true);
    assert.equal(one('BOX.example'), true);
    assert.equal(one('box.example.evil'), false);
  });
});
