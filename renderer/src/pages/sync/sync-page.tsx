import { useCallback, useEffect, useState } from 'react';
import type { BackupSummary, FollowInfo, SyncStatus } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';
import { StandbyLine } from './standby-line.js';

/**
 * Remotes (OCI registries), the outbox queue per remote, the last error in plain words, and "push now"; remote
 * aliases this box follows and where each stands; pulling one model version by tag or digest.
 */
export function SyncPage() {
  const client = useClient();
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [insecure, setInsecure] = useState(false);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [followRemote, setFollowRemote] = useState('');
  const [followModel, setFollowModel] = useState('');
  const [followAlias, setFollowAlias] = useState('production');
  const [pullUrl, setPullUrl] = useState('');
  const [pullAlias, setPullAlias] = useState('');
  const [pullInsecure, setPullInsecure] = useState(false);

  const outcome = useOutcome();
  const { message, error, fail } = outcome;
  const refresh = useCallback(() => {
    client.call('sync.status', {}).then(setStatus, fail);
  }, [client, fail]);
  // Every action ends with the page brought up to date.
  const run = (action: () => Promise<string>): Promise<void> => outcome.run(action).then(refresh);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  return (
    <section>
      <h2>Sync</h2>
      <p className="muted">
        Every model version, alias move and metrics snapshot waits in an outbox until each remote registry has it; the server
        sends it in the background whenever a remote is reachable, retrying with growing pauses.
      </p>
      {status !== null && (
        <p data-testid="sync-summary">
          {status.pending} waiting, {status.sent} delivered{status.failed > 0 ? `, ${status.failed} failed attempts` : ''}
        </p>
      )}
      <StandbyLine run={run} />
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
      <h3>Followed aliases</h3>
      <p className="muted">
        When a followed alias moves on the registry, the version it names is pulled, checked, loaded, and only then served here;
        one that does not load leaves the previous version serving.
      </p>
      <table data-testid="follows-table">
        <thead>
          <tr>
            <th>Remote</th>
            <th>Model</th>
            <th>Alias</th>
            <th>State</th>
            <th>Serving here</th>
            <th>Last check</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {status?.follows.map((f) => (
            <tr key={`${f.remote}/${f.model}:${f.alias}`} data-testid={`follow-${f.model}-${f.alias}`}>
              <td>{f.remote}</td>
              <td>{f.model}</td>
              <td>{f.alias}</td>
              <td className={f.status === 'failed' || f.status === 'rolled-back' ? 'error' : ''}>
                {followStates[f.status]}
                {f.lastError === null ? '' : `: ${f.lastError}`}
              </td>
              <td>{f.localVersion === null ? '–' : `v${f.localVersion}`}</td>
              <td>{f.checkedAt === null ? 'not yet' : new Date(f.checkedAt).toLocaleString()}</td>
              <td>
                <button
                  onClick={() =>
                    void run(async () => {
                      await client.call('remotes.unfollow', { remote: f.remote, model: f.model, alias: f.alias });
                      return `No longer following ${f.model}:${f.alias}.`;
                    })
                  }
                >
                  Stop following
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="form">
        <label>
          Remote{' '}
          <select data-testid="follow-remote" value={followRemote} onChange={(e) => setFollowRemote(e.target.value)}>
            <option value="">choose…</option>
            {status?.remotes.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model <input data-testid="follow-model" value={followModel} onChange={(e) => setFollowModel(e.target.value)} />
        </label>
        <label>
          Alias <input data-testid="follow-alias" value={followAlias} onChange={(e) => setFollowAlias(e.target.value)} />
        </label>
        <button
          data-testid="follow-add"
          onClick={() =>
            void run(async () => {
              await client.call('remotes.follow', { remote: followRemote, model: followModel.trim(), alias: followAlias.trim() });
              const follows = await client.call('sync.follow', {});
              const f = follows.find((x) => x.remote === followRemote && x.model === followModel.trim());
              return f === undefined ? 'Following.' : `Following ${f.model}:${f.alias}: ${followStates[f.status]}.`;
            })
          }
        >
          Follow
        </button>{' '}
        <button
          data-testid="follow-check"
          onClick={() =>
            void run(async () => {
              const follows = await client.call('sync.follow', {});
              return `Checked ${follows.length} followed aliases.`;
            })
          }
        >
          Check now
        </button>
      </div>
      <div className="form">
        <h3>Pull a model version</h3>
        <label>
          Artifact{' '}
          <input
            data-testid="pull-url"
            value={pullUrl}
            onChange={(e) => setPullUrl(e.target.value)}
            placeholder="oci://registry.example.org/hearth/churn:v3"
          />
        </label>
        <label>
          Set alias (optional) <input data-testid="pull-alias" value={pullAlias} onChange={(e) => setPullAlias(e.target.value)} />
        </label>
        <label>
          <span>
            <input
              type="checkbox"
              data-testid="pull-insecure"
              checked={pullInsecure}
              onChange={(e) => setPullInsecure(e.target.checked)}
            />{' '}
            plain HTTP (loopback registries only)
          </span>
        </label>
        <button
          data-testid="pull-run"
          onClick={() =>
            void run(async () => {
              const pulled = await client.call('models.pull', {
                url: pullUrl.trim(),
                insecureHttp: pullInsecure,
                ...(pullAlias.trim() === '' ? {} : { alias: pullAlias.trim() }),
              });
              return `${pulled.registered ? 'Pulled' : 'Already had'} ${pulled.model} v${pulled.version} (${pulled.digest.slice(0, 19)}…)${pulled.alias === null ? '' : `, now ${pulled.alias}`}.`;
            })
          }
        >
          Pull
        </button>
      </div>
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
            <input
              type="checkbox"
              data-testid="remote-insecure"
              checked={insecure}
              onChange={(e) => setInsecure(e.target.checked)}
            />{' '}
            plain HTTP (loopback registries only)
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
      <Outcome prefix="sync" message={message} error={error} />
      <BackupsSection />
    </section>
  );
}

/** Backups of the whole store: take one now (encrypted with a passphrase, if given), list them, verify one. */
function BackupsSection() {
  const client = useClient();
  const [backups, setBackups] = useState<BackupSummary[]>([]);
  const [passphrase, setPassphrase] = useState('');
  const { message, error, run } = useOutcome();
  const load = useCallback(() => {
    client.call('backups.list', {}).then(setBackups, () => undefined);
  }, [client]);
  useEffect(load, [load]);
  return (
    <div data-testid="backups">
      <h3>Backups</h3>
      <p className="muted">
        A consistent copy of the store (database, every blob and a manifest of their hashes), taken while Hearth keeps working.
        With a passphrase it is encrypted and carries the store key; without one it does not. Restore with{' '}
        <code>hearth backup restore FILE --data-dir EMPTY_FOLDER</code>.
      </p>
      <label>
        Passphrase (optional, at least 8 characters){' '}
        <input
          type="password"
          data-testid="backup-passphrase"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
      </label>{' '}
      <button
        data-testid="backup-create"
        onClick={() =>
          void run(async () => {
            const info = await client.call('backups.create', passphrase === '' ? {} : { passphrase });
            load();
            return `Backed up ${info.files} files (${info.blobs} blobs) to ${info.file}, ${(info.bytes / 1e6).toFixed(1)} MB${info.encrypted ? ', encrypted' : ''}.`;
          })
        }
      >
        Back up now
      </button>
      <table data-testid="backups-table">
        <thead>
          <tr>
            <th>File</th>
            <th>Size</th>
            <th>Encrypted</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {backups.map((b) => (
            <tr key={b.file}>
              <td>{b.file}</td>
              <td>{(b.bytes / 1e6).toFixed(1)} MB</td>
              <td>{b.encrypted ? 'yes' : 'no'}</td>
              <td>
                <button
                  data-testid={`backup-verify-${b.file}`}
                  onClick={() =>
                    void run(async () => {
                      const v = await client.call('backups.verify', {
                        file: b.file,
                        ...(passphrase === '' ? {} : { passphrase }),
                      });
                      return `${v.file}: ${v.files} files, every hash matches, the database passes its integrity check.`;
                    })
                  }
                >
                  Verify
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Outcome prefix="backup" message={message} error={error} />
    </div>
  );
}

const followStates: Record<FollowInfo['status'], string> = {
  waiting: 'not checked yet',
  current: 'up to date',
  failed: 'could not check',
  'rolled-back': 'new version rejected, previous one serves',
};
