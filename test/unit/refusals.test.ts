import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostname } from 'node:os';
import { FailureThrottle, RefusalLog } from '../../main/security/access.js';
import { canonicalHost, hostChecker, networkOf } from '../../main/api/hosts.js';
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

  it('takes a threshold per key, and tells how many failures a key has in its window', () => {
    const t = new FailureThrottle();
    for (let i = 0; i < 49; i++) t.failed('net', 0, 50);
    assert.equal(t.retryAfterSeconds('net', 0), 0);
    assert.equal(t.failures('net', 0), 49);
    t.failed('net', 0, 50);
    assert.equal(t.retryAfterSeconds('net', 0), 1);
    assert.equal(t.failures('net', 16 * 60_000), 0, 'the window is over');
  });

  it('keeps an active block when many other keys fail, evicting unblocked keys first, and stays bounded', () => {
    const t = new FailureThrottle(1000);
    for (let i = 0; i < 5; i++) t.failed('blocked', 0);
    for (let i = 0; i < 8; i++) t.failed('blocked', 0);
    assert.equal(t.retryAfterSeconds('blocked', 0), 256);
    for (let i = 0; i < 20_000; i++) t.failed(`address:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 1000);
    assert.equal(t.retryAfterSeconds('blocked', 1000), 255);
    assert.ok(t.size <= 1000, String(t.size));
  });

  it('evicts the block nearest its end only when the table holds nothing but blocks', () => {
    const t = new FailureThrottle(10);
    for (let k = 0; k < 10; k++) for (let i = 0; i < 5 + k; i++) t.failed(`b${k}`, 0);
    for (let i = 0; i < 5; i++) t.failed('new', 0);
    assert.equal(t.size, 10);
    assert.equal(t.retryAfterSeconds('b0', 0), 0, 'the shortest block went');
    assert.equal(t.retryAfterSeconds('new', 0), 1);
    assert.equal(t.retryAfterSeconds('b9', 0), 512);
  });
});

describe('networkOf', () => {
  it('groups IPv4 by /24, IPv6 by /64, IPv4-mapped IPv6 as IPv4, and all of loopback as one', () => {
    assert.equal(networkOf('192.168.1.77'), '192.168.1.0/24');
    assert.equal(networkOf('::ffff:192.168.1.77'), '192.168.1.0/24');
    assert.equal(networkOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(networkOf('2001:DB8::1'), '2001:db8::/64');
    assert.equal(networkOf('fe80::1%eth0'), 'fe80::/64');
    assert.equal(networkOf('127.0.10.5'), 'loopback');
    assert.equal(networkOf('::ffff:127.0.0.1'), 'loopback');
    assert.equal(networkOf('::1'), 'loopback');
    assert.equal(networkOf('not an address'), 'not an address');
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

  it('decides a repeated Host the same way, and keeps no more than 64 spellings of the names it accepted', () => {
    const check = hostChecker('127.0.0.1', ['box.example']);
    for (let round = 0; round < 3; round++) {
      assert.equal(check('127.0.0.1:7420'), true);
      assert.equal(check('BOX.example.'), true);
      assert.equal(check('evil.example'), false);
      assert.equal(check('box.example@evil.example'), false);
      assert.equal(check(undefined), false);
      assert.equal(check(''), false);
    }
    // Many accepted spellings (every port of localhost), then refused ones: each is still judged on its own.
    for (let port = 1; port <= 500; port++) assert.equal(check(`localhost:${port}`), true);
    for (let port = 1; port <= 500; port++) assert.equal(check(`evil.example:${port}`), false);
    assert.equal(check('localhost:99999'), false, 'a port past 65535 is refused however many were accepted before');
  });
});
