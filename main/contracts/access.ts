import { z } from 'zod';
import { defineMethods, returns } from './method.js';

/* Access: tokens.* and audit.list. Roles and what each grants are in main/security/access.ts. */

export interface TokenInfo {
  name: string;
  role: 'admin' | 'analyst' | 'viewer' | 'service';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** One audited action: who (token name and role), how (transport, address), what (method, target), the outcome. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role: string | null;
  transport: string;
  remote: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'failed' | 'denied';
  code: string | null;
}

export const accessMethods = defineMethods({
  'tokens.create': {
    doc: 'Named API tokens with a role and an optional expiry; the token is shown once, in this answer.',
    permission: 'admin',
    args: z
      .object({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-"'),
        role: z.enum(['admin', 'analyst', 'viewer', 'service']),
        expiresInDays: z.number().positive().max(3650).optional(),
      })
      .strict(),
    result: returns<TokenInfo & { token: string }>(),
  },
  'tokens.list': {
    doc: 'Every named API token (never the token itself).',
    permission: 'admin',
    changesState: false,
    args: z.object({}).strict(),
    result: returns<TokenInfo[]>(),
  },
  'tokens.revoke': {
    doc: 'Revokes a token and ends the console sessions opened with it.',
    permission: 'admin',
    args: z.object({ name: z.string().min(1).max(64) }).strict(),
    result: returns<TokenInfo>(),
  },
  'audit.list': {
    doc: 'The audit log, newest first: every mutating call, every refusal and failed sign-in.',
    permission: 'admin',
    changesState: false,
    args: z
      .object({ limit: z.number().int().min(1).max(10_000).default(200), before: z.number().int().positive().optional() })
      .strict(),
    result: returns<AuditEntry[]>(),
  },
});
