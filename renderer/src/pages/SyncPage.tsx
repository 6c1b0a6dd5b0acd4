import { useCallback, useEffect, useState } from 'react';
import type { SyncStatus } from '../../../main/contracts/api.js';
import { useClient } from '../App.js';
import { describeError } from '../errors.js';

/** Remotes (OCI registries), the outbox queue per remote, the last error in plain words, and "push now". */
export function SyncPage() {
  const client = useClient();
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [insecure, setInsecure] = useState(false);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    client.call('sync.status', {}).then(setStatus, (e: unknown) => setError(describeError(e)));
  }, [client]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  const run = async (action: () => Promise<string>): Promise<void> => {
    setError(null);
    setMessage(null);
    try {
      setMessage(await action());
    } catch (e) {
      setError(describeError(e));
    }
    refresh();
  };

  return (
    <section>
      <h2>Sync</h2>
      <p className="muted">
        Every model version and alias move waits in an outbox until each remote registry has it; the server sends it in the
        background whenever a remote is reachable, retrying with growing pauses.
      </p>
      {status !== null && (
        <p data-testid="sync-summary">
          {status.pending} waiting, {status.sent} delivered{status.failed > 0 ? `, ${status.failed} failed attempts` : ''}
        </p>
      )}
      <table data-testid="remotes-table">
        <thead>
          <tr>
            <th>Remote</th>
            <th>Registry</th>
            <th>Waiting</th>
            <th>Delivered</th>
            <th>Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {status?.remotes.map((r) => (
            <tr key={r.name} data-testid={`remote-${r.name}`}>
              <td>{r.name}</td>
              <td>
                <code>{r.url}</code>
                {r.insecureHttp ? ' (plain HTTP)' : ''}
                {r.authenticated ? ' (signed in)' : ''}
              </td>
              <td>{r.pending}</td>
              <td>{r.sent}</td>
              <td className={r.lastError === null ? '' : 'error'}>{r.lastError ?? '–'}</td>
              <td>
                <button
                  data-testid={`push-${r.name}`}
                  onClick={() =>
                    void run(async () => {
                      const [result] = await client.call('sync.push', { remote: r.name });
                      return result?.error ? `Stopped: ${result.error}` : `Sent ${result?.sent ?? 0} events to ${r.name}.`;
                    })
                  }
                >
                  Push now
                </button>{' '}
                <button
                  onClick={() =>
                    void run(async () => {
                      await client.call('remotes.remove', { name: r.name });
                      return `Removed ${r.name}.`;
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="form">
        <h3>Add a remote</h3>
        <label>
          Name <input data-testid="remote-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="central" />
        </label>
        <label>
          Registry{' '}
          <input
            data-testid="remote-url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="oci://registry.example.org/hearth"
          />
        </label>
        <label>
          User (optional) <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Password or token{' '}
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
        </label>
        <label>
          <span>
            <input type="checkbox" checked={insecure} onChange={(e) => setInsecure(e.target.checked)} /> plain HTTP (loopback
            registries only)
          </span>
        </label>
        <button
          data-testid="remote-add"
          onClick={() =>
            void run(async () => {
              // Stored sealed by the engine and never shown again; a password without a user is a bearer token.
              const secret =
                password === '' ? {} : username.trim() === '' ? { token: password } : { username: username.trim(), password };
              const remote = await client.call('remotes.add', {
                name: name.trim(),
                url: url.trim(),
                insecureHttp: insecure,
                ...secret,
              });
              setPassword('');
              return `Added ${remote.name}: ${remote.pending} events to send.`;
            })
          }
        >
          Add
        </button>
      </div>
      {message !== null && <p data-testid="sync-message">{message}</p>}
      {error !== null && (
        <p className="error" data-testid="sync-error">
          {error}
        </p>
      )}
    </section>
  );
}
