import { useCallback, useEffect, useState } from 'react';
import type { AuditEntry, TokenInfo } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

type Role = TokenInfo['role'];
const roles: readonly Role[] = ['viewer', 'service', 'analyst', 'admin'];

/** Named API tokens (create, list, revoke) and the audit log: admin only, as the server enforces. */
export function AccessPage() {
  const client = useClient();
  const [tokens, setTokens] = useState<TokenInfo[]>([]);
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [days, setDays] = useState('');
  const { message, error, run, fail } = useOutcome();
  const load = useCallback(() => {
    Promise.all([client.call('tokens.list', {}), client.call('audit.list', { limit: 200 })]).then(([t, a]) => {
      setTokens(t);
      setAudit(a);
    }, fail);
  }, [client, fail]);
  useEffect(load, [load]);
  return (
    <section>
      <h2>Access</h2>
      <h3>API tokens</h3>
      <table data-testid="tokens-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Created</th>
            <th>Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.name} data-testid={`token-${t.name}`}>
              <td>{t.name}</td>
              <td>{t.role}</td>
              <td>{new Date(t.createdAt).toLocaleString()}</td>
              <td>
                {t.revokedAt !== null ? 'revoked' : t.expiresAt === null ? 'never' : new Date(t.expiresAt).toLocaleString()}
              </td>
              <td>
                {t.revokedAt === null && (
                  <button
                    data-testid={`token-revoke-${t.name}`}
                    onClick={() =>
                      void run(async () => {
                        await client.call('tokens.revoke', { name: t.name });
                        load();
                        return `Revoked ${t.name}.`;
                      })
                    }
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="toolbar">
        <input
          data-testid="token-name"
          aria-label="Token name"
          placeholder="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <select data-testid="token-role" aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <input
          data-testid="token-days"
          placeholder="expires in days (optional)"
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
        <button
          data-testid="token-create"
          onClick={() =>
            void run(async () => {
              const created = await client.call('tokens.create', {
                name,
                role,
                ...(days === '' ? {} : { expiresInDays: Number(days) }),
              });
              load();
              return `Token ${created.name} (${created.role}), shown this once: ${created.token}`;
            })
          }
        >
          Create token
        </button>
      </div>
      <Outcome prefix="access" message={message} error={error} />
      <h3>Audit log</h3>
      <table data-testid="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>From</th>
            <th>Action</th>
            <th>Target</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {audit.map((e) => (
            <tr key={e.id} className={e.outcome === 'ok' ? '' : 'warn'}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>
                {e.actor}
                {e.role === null ? '' : ` (${e.role})`}
              </td>
              <td>
                {e.transport}
                {e.remote === null ? '' : ` ${e.remote}`}
              </td>
              <td>{e.action}</td>
              <td>{e.target ?? ''}</td>
              <td>
                {e.outcome}
                {e.code === null ? '' : ` (${e.code})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
