import { useCallback, useEffect, useState } from 'react';
import type { BackupSummary } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { desktopBridge, desktopCall } from '../../app/ipc.js';
import { BackupToFile } from './desktop-admin.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/** What the store holds now, named in the confirmation: what a restore replaces. */
interface Holdings {
  dataDir: string;
  datasets: number;
  models: number;
}

/**
 * The backups, one taken on demand, and restore. A restore replaces the data folder the engine has open: the desktop
 * app stops its engine, restores and starts it again; a server cannot do that to itself over HTTP, so there the page
 * gives the command to run on the box with the server stopped.
 */
export function RestoreSection({ desktop }: { desktop: boolean }) {
  const client = useClient();
  const [backups, setBackups] = useState<BackupSummary[]>([]);
  const [confirming, setConfirming] = useState<BackupSummary | null>(null);
  const [holdings, setHoldings] = useState<Holdings | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const { message, error, run, busy } = useOutcome();
  const load = useCallback(() => {
    client.call('backups.list', {}).then(setBackups, () => undefined);
  }, [client]);
  useEffect(load, [load]);

  const ask = (b: BackupSummary) =>
    void run(async () => {
      const [info, datasets, models] = await Promise.all([
        client.call('system.info', {}),
        client.call('datasets.list', {}),
        client.call('models.list', {}),
      ]);
      setHoldings({ dataDir: info.dataDir, datasets: datasets.length, models: models.length });
      setPassphrase('');
      setConfirming(b);
      return '';
    });

  const restore = (b: BackupSummary, bridge: NonNullable<ReturnType<typeof desktopBridge>>) =>
    void run(async () => {
      const result = await desktopCall<{ files: number; replacedTo: string | null; carriedBack: string[] }>(bridge, {
        action: 'restore',
        file: b.file,
        ...(passphrase === '' ? {} : { passphrase }),
      });
      setConfirming(null);
      // The engine restarted on the restored store: every page reads afresh.
      setTimeout(() => window.location.reload(), 1500);
      return (
        `Restored ${result.files} files from ${b.file}` +
        (result.replacedTo === null ? '.' : `; what the folder held is in ${result.replacedTo}.`) +
        (result.carriedBack.length === 0 ? '' : ` Kept from before: ${result.carriedBack.join(', ')}.`)
      );
    });

  const bridge = desktop ? desktopBridge() : null;
  return (
    <div data-testid="restore">
      <h3>Backups and restore</h3>
      {bridge === null ? (
        <p className="muted" data-testid="restore-host-only">
          Restore replaces the data folder this server has open, so it is not offered over HTTP: on the box, stop the server, run{' '}
          <code>hearth backup restore BACKUP_FOLDER/FILE --data-dir DATA_FOLDER --force</code> (what the folder held is moved
          aside, never deleted), and start it again. The desktop app restores from this page.
        </p>
      ) : (
        <p className="muted">
          Restoring stops the engine, moves the data folder’s contents aside (nothing is deleted) and starts the engine on the
          backup’s store.
        </p>
      )}
      <div className="toolbar">
        <button
          data-testid="restore-backup-create"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              const info = await client.call('backups.create', {});
              load();
              return `Backed up ${info.files} files to ${info.file}.`;
            })
          }
        >
          Back up now
        </button>
      </div>
      {bridge !== null && <BackupToFile />}
      <table data-testid="restore-backups">
        <thead>
          <tr>
            <th>File</th>
            <th>Taken</th>
            <th>Size</th>
            <th>Encrypted</th>
            {bridge !== null && <th />}
          </tr>
        </thead>
        <tbody>
          {backups.map((b) => (
            <tr key={b.file} data-testid={`restore-row-${b.file}`}>
              <td>{b.file}</td>
              <td>{new Date(b.createdAt).toLocaleString()}</td>
              <td>{(b.bytes / 1e6).toFixed(1)} MB</td>
              <td>{b.encrypted ? 'yes' : 'no'}</td>
              {bridge !== null && (
                <td>
                  <button data-testid={`restore-${b.file}`} onClick={() => ask(b)}>
                    Restore…
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {bridge !== null && confirming !== null && holdings !== null && (
        <div className="card" role="dialog" aria-modal="true" aria-labelledby="restore-title" data-testid="restore-confirm">
          <h4 id="restore-title">Restore {confirming.file}?</h4>
          <p data-testid="restore-replaces">
            This replaces everything in <code>{holdings.dataDir}</code>: its {holdings.datasets} datasets, {holdings.models}{' '}
            models, runs, tokens, audit log and prediction log, with the store as it was on{' '}
            {new Date(confirming.createdAt).toLocaleString()}. What the folder holds now is moved aside beside it, not deleted.
          </p>
          {confirming.encrypted && (
            <label>
              The backup’s passphrase{' '}
              <input
                type="password"
                data-testid="restore-passphrase"
                value={passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
              />
            </label>
          )}
          <div className="toolbar">
            <button data-testid="restore-confirm-yes" disabled={busy} onClick={() => restore(confirming, bridge)}>
              Replace and restore
            </button>
            <button data-testid="restore-confirm-no" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <Outcome prefix="restore" message={message === '' ? null : message} error={error} />
    </div>
  );
}
