import type { accessMethods, AuditEntry, TokenInfo } from '../contracts/access.js';
import type { HandlersOf } from '../contracts/call.js';

/** What the tokens and audit methods use: the access control's tokens and audit log. */
export interface SecurityHandlerDeps {
  readonly access: {
    createToken(name: string, role: TokenInfo['role'], expiresInDays?: number): TokenInfo & { token: string };
    listTokens(): TokenInfo[];
    revokeToken(name: string): TokenInfo;
    auditLog(options: { limit: number; before?: number | undefined }): AuditEntry[];
  };
}

/** The accessMethods methods' handlers. */
export function securityHandlers(deps: SecurityHandlerDeps): HandlersOf<typeof accessMethods> {
  return {
    'tokens.create': async ({ name, role, expiresInDays }) => deps.access.createToken(name, role, expiresInDays),
    'tokens.list': async () => deps.access.listTokens(),
    'tokens.revoke': async ({ name }) => deps.access.revokeToken(name),
    'audit.list': async ({ limit, before }) => deps.access.auditLog({ limit, before }),
  };
}
