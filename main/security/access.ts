import { createHash, randomBytes } from 'node:crypto';
import type { AuditEntry, Permission, TokenInfo } from '../contracts/index.js';
import { HearthError, type ErrorCode } from '../contracts/errors.js';
import { CommitCache, nowIso, type Db } from '../store/database.js';
import { tokenDigest } from '../crypto/token-digest.js';
import { cachedStatement } from '../table/statements.js';

/**
 * Who may call what. Four roles: admin (everything), analyst (ingest, train, promote), viewer (read only) and
 * service (predict and ingest only). Every API method has one permission, defined with the method in
 * main/contracts/<domain>.ts (the compiler rejects a method without one); re-exported here for the callers that
 * check them.
 */
export const roles = ['admin', 'analyst', 'viewer', 'service'] as const;
export type Role = (typeof roles)[number];
export { methodPermission, type Permission } from '../contracts/index.js';

const grants: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(['info', 'read', 'ingest', 'predict', 'write', 'admin']),
  analyst: new Set(['info', 'read', 'ingest', 'predict', 'write']),
  viewer: new Set(['info', 'read']),
  service: new Set(['info', 'ingest', 'predict']),
};

export function allowed(role: Role, permission: Permission): boolean {
  return grants[role].has(permission);
}

/** Who is calling: a named token's holder, a console session, or the local user (CLI, desktop). */
export interface Principal {
  name: string;
  role: Role;
}

export const localAdmin: Principal = { name: 'local', role: 'admin' };

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const sessionHours = 12;

/**
 * Named API tokens, console sessions and the audit log. Tokens are 256-bit random strings stored as SHA-256 only (a
 * slow hash buys nothing for a random secret; the lookup is by hash, so no comparison leaks timing), shown once at
 * creation. The bootstrap token (auth.ts) stands beside them as the admin named "bootstrap".
 */
export class AccessControl {
  private readonly tokens: CommitCache<Map<string, { name: string; role: Role; expiresAt: string | null }>>;

  constructor(private readonly db: Db) {
    this.tokens = new CommitCache(db);
  }

  /** The principal a named token stands for, or null (unknown, revoked or expired). */
  authenticate(token: string | undefined): Principal | null {
    if (token === undefined || token === '') return null;
    const digest = tokenDigest(token);
    const active = this.tokens.get('active', () => {
      const rows = cachedStatement(
        this.db,
        'SELECT name, role, token_sha256, expires_at FROM api_tokens WHERE revoked_at IS NULL',
      ).all() as { name: string; role: Role; token_sha256: string; expires_at: string | null }[];
      return new Map(rows.map((r) => [r.token_sha256, { name: r.name, role: r.role, expiresAt: r.expires_at }]));
    });
    const found = active.get(digest.hex);
    if (found === undefined || (found.expiresAt !== null && found.expiresAt <= nowIso())) return null;
    return { name: found.name, role: found.role };
  }

  createToken(name: string, role: Role, expiresInDays?: number): TokenInfo & { token: string } {
    // "bootstrap" is the name the bootstrap token acts under (audit rows, sessions): a named token of that name would
    // be indistinguishable from it in the log.
    if (name.toLowerCase() === 'bootstrap')
      throw new HearthError('VALIDATION_FAILED', 'the token name "bootstrap" is reserved for the bootstrap token');
    const token = `hth_${randomBytes(32).toString('base64url')}`;
    const createdAt = nowIso();
    const expiresAt = expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * 86_400_000).toISOString();
    try {
      this.db
        .prepare('INSERT INTO api_tokens (name, role, token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
        .run(name, role, sha256Hex(token), createdAt, expiresAt);
    } catch (error) {
      if (/UNIQUE|PRIMARY KEY/.test(String(error)))
        throw new HearthError('CONFLICT', `a token named "${name}" exists; revoke it first`);
      throw error;
    }
    this.tokens.clear();
    return { name, role, createdAt, expiresAt, revokedAt: null, token };
  }

  listTokens(): TokenInfo[] {
    return (
      this.db.prepare('SELECT name, role, created_at, expires_at, revoked_at FROM api_tokens ORDER BY created_at').all() as {
        name: string;
        role: Role;
        created_at: string;
        expires_at: string | null;
        revoked_at: string | null;
      }[]
    ).map((r) => ({ name: r.name, role: r.role, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at }));
  }

  /** Revokes a token and ends the console sessions opened with it. */
  revokeToken(name: string): TokenInfo {
    const revoked = this.db.transaction(() => {
      const info = this.db
        .prepare('UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL')
        .run(nowIso(), name);
      if (info.changes === 0) throw new HearthError('NOT_FOUND', `no active token named "${name}"`);
      this.db.prepare('DELETE FROM sessions WHERE token_name = ?').run(name);
    });
    revoked();
    this.tokens.clear();
    return this.listTokens().find((t) => t.name === name)!;
  }

  /**
   * Opens a console session for a principal; the id goes in an HttpOnly cookie and is stored only as its hash, beside
   * the hash of the token it was opened with. It lasts 12 hours at most, and never past that token's expiry.
   */
  openSession(principal: Principal, token: string): { id: string; maxAgeSeconds: number } {
    const id = randomBytes(32).toString('base64url');
    const tokenSha256 = sha256Hex(token);
    const now = Date.now();
    const tokenExpiry = (
      this.db.prepare('SELECT expires_at FROM api_tokens WHERE token_sha256 = ?').get(tokenSha256) as
        { expires_at: string | null } | undefined
    )?.expires_at;
    const expires = Math.min(
      now + sessionHours * 3_600_000,
      tokenExpiry === undefined || tokenExpiry === null ? Infinity : Date.parse(tokenExpiry),
    );
    this.db
      .prepare(
        'INSERT INTO sessions (id_sha256, token_name, role, created_at, expires_at, token_sha256) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        sha256Hex(id),
        principal.name,
        principal.role,
        new Date(now).toISOString(),
        new Date(expires).toISOString(),
        tokenSha256,
      );
    return { id, maxAgeSeconds: Math.max(0, Math.floor((expires - now) / 1000)) };
  }

  /**
   * The principal of a console session, or null. A session is only as good as the token it was opened with: a named
   * token's must still be active and unexpired, the bootstrap token's must still be the bootstrap token
   * (`isBootstrap`, which reads the stored hash, so a `hearth token reset` ends it at once).
   */
  session(id: string | undefined, isBootstrap: (tokenSha256: string) => boolean): Principal | null {
    if (id === undefined || id === '') return null;
    const row = this.db
      .prepare(
        `SELECT s.token_name, s.role, s.expires_at, s.token_sha256, t.name AS token_owner, t.expires_at AS token_expires_at
           FROM sessions s LEFT JOIN api_tokens t ON t.token_sha256 = s.token_sha256 AND t.revoked_at IS NULL
          WHERE s.id_sha256 = ?`,
      )
      .get(sha256Hex(id)) as
      | {
          token_name: string;
          role: Role;
          expires_at: string;
          token_sha256: string | null;
          token_owner: string | null;
          token_expires_at: string | null;
        }
      | undefined;
    const now = nowIso();
    if (row === undefined || row.expires_at <= now || row.token_sha256 === null) return null;
    const named = row.token_owner === row.token_name && (row.token_expires_at === null || row.token_expires_at > now);
    const bootstrap = row.token_owner === null && row.token_name === 'bootstrap' && isBootstrap(row.token_sha256);
    return named || bootstrap ? { name: row.token_name, role: row.role } : null;
  }

  closeSession(id: string | undefined): void {
    if (id !== undefined) this.db.prepare('DELETE FROM sessions WHERE id_sha256 = ?').run(sha256Hex(id));
  }

  audit(entry: Omit<AuditEntry, 'id' | 'at'>): void {
    this.db
      .prepare(
        'INSERT INTO audit_log (at, actor, role, transport, remote, action, target, outcome, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        nowIso(),
        entry.actor,
        entry.role,
        entry.transport,
        entry.remote,
        entry.action,
        entry.target,
        entry.outcome,
        entry.code,
      );
  }

  auditLog(options: { limit: number; before?: number | undefined }): AuditEntry[] {
    return this.db
      .prepare(
        `SELECT id, at, actor, role, transport, remote, action, target, outcome, code FROM audit_log
          WHERE id < ? ORDER BY id DESC LIMIT ?`,
      )
      .all(options.before ?? Number.MAX_SAFE_INTEGER, options.limit) as AuditEntry[];
  }
}

/** The throttle's window: failures older than this are forgotten, and no block lasts longer. */
const throttleWindowMs = 15 * 60_000;

/**
 * Slows down guessing: after `threshold` failed authentications under one key within 15 minutes (5 unless the caller
 * says otherwise), that key is refused (429) for a time that doubles with each further failure, up to 15 minutes. The
 * HTTP server keys each failure three times: by address, by the address's network (with a higher threshold) and by
 * the presented token's first characters, so neither many addresses on one token, nor many tokens from one address,
 * nor many addresses of one network escape it. A success does not clear the count: a caller holding one valid (say,
 * viewer) token could otherwise reset its own guessing counter between guesses at an admin token.
 *
 * At most `maxKeys` keys are kept (memory stays bounded however many addresses an attacker holds). Past that, the
 * least recently failed key that is not blocked is forgotten, so an attacker cannot push an active block out by
 * failing under many fresh keys; only when every key is blocked does the block nearest its end go (never the key
 * failing now, or a table full of blocks would let fresh keys guess unthrottled).
 */
export class FailureThrottle {
  // In order of last failure (a failing key is moved to the end), so the first unblocked key is the least recent.
  private readonly table = new Map<string, { count: number; first: number; blockedUntil: number }>();

  constructor(private readonly maxKeys = 10_000) {}

  get size(): number {
    return this.table.size;
  }

  retryAfterSeconds(key: string, now = Date.now()): number {
    const f = this.table.get(key);
    if (f === undefined || f.blockedUntil <= now) return 0;
    return Math.ceil((f.blockedUntil - now) / 1000);
  }

  /** The failures under a key in its current 15-minute window. */
  failures(key: string, now = Date.now()): number {
    const f = this.table.get(key);
    return f === undefined || now - f.first > throttleWindowMs ? 0 : f.count;
  }

  failed(key: string, now = Date.now(), threshold = 5): void {
    let f = this.table.get(key);
    if (f === undefined || now - f.first > throttleWindowMs) f = { count: 0, first: now, blockedUntil: 0 };
    f.count++;
    if (f.count >= threshold) f.blockedUntil = now + Math.min(throttleWindowMs, 1000 * 2 ** (f.count - threshold));
    this.table.delete(key);
    this.table.set(key, f);
    if (this.table.size > this.maxKeys) this.evict(key, now);
  }

  private evict(keep: string, now: number): void {
    let soonest: string | undefined;
    let soonestEnd = Infinity;
    for (const [key, f] of this.table) {
      if (key === keep) continue;
      if (f.blockedUntil <= now) {
        this.table.delete(key);
        return;
      }
      if (f.blockedUntil < soonestEnd) [soonest, soonestEnd] = [key, f.blockedUntil];
    }
    if (soonest !== undefined) this.table.delete(soonest);
  }
}

/** How a token is keyed for the throttle: its first 12 characters ("hth_" and 48 random bits for our own tokens). */
export function tokenThrottleKey(token: string): string {
  return `token:${token.slice(0, 12)}`;
}

/** A refusal that carries no credential worth naming: nobody to attribute it to but an address. */
export interface AnonymousRefusal {
  remote: string;
  action: string;
  target: string | null;
  code: ErrorCode;
}

/**
 * The audit rows for refusals without a (valid-looking) credential: no token, a Host we do not serve, a throttled
 * address, a cross-origin cookie. Anyone can send those as fast as the network allows, and the audit log cannot be
 * pruned (append-only), so each is not a row: the first refusal per address and code in a minute is written at once,
 * the rest of that minute are counted and written as one "+N more" row when the minute is over (at the next refusal
 * from that address, at the server's sweep, or when it stops). At most `maxKeys` address-and-code pairs are tracked;
 * beyond that new addresses share the key "*", so the log grows by at most 2 × (maxKeys + codes) rows a minute
 * however many addresses an attacker holds. Failed sign-ins with a token go through here too once their address or
 * network is past its throttle threshold (http-server.ts): up to it each is a row of its own, naming the address.
 */
export class RefusalLog {
  private readonly windows = new Map<string, { opened: number; more: number; last: AnonymousRefusal }>();

  constructor(
    private readonly write: (entry: Omit<AuditEntry, 'id' | 'at'>) => void,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 1000,
  ) {}

  refused(refusal: AnonymousRefusal, now = Date.now()): void {
    let r = refusal;
    let key = `${r.remote}|${r.code}`;
    if (!this.windows.has(key) && this.windows.size >= this.maxKeys) {
      this.flush(now);
      if (this.windows.size >= this.maxKeys) {
        r = { ...r, remote: '*' };
        key = `*|${r.code}`;
      }
    }
    const open = this.windows.get(key);
    if (open !== undefined && now - open.opened < this.windowMs) {
      open.more++;
      open.last = r;
      return;
    }
    if (open !== undefined) this.summarise(open);
    this.windows.set(key, { opened: now, more: 0, last: r });
    this.row(r, r.target);
  }

  /** Writes the counts of windows that are over (all of them with `all`, when the server stops) and forgets them. */
  flush(now = Date.now(), all = false): void {
    for (const [key, w] of this.windows) {
      if (!all && now - w.opened < this.windowMs) continue;
      this.summarise(w);
      this.windows.delete(key);
    }
  }

  private summarise(w: { more: number; last: AnonymousRefusal }): void {
    if (w.more > 0) this.row(w.last, `+${w.more} more in ${this.windowMs / 1000} s (last: ${w.last.target ?? '-'})`);
  }

  private row(r: AnonymousRefusal, target: string | null): void {
    this.write({
      actor: 'unknown',
      role: null,
      transport: 'http',
      remote: r.remote,
      action: r.action,
      target,
      outcome: 'denied',
      code: r.code,
    });
  }
}
