import { useCallback, useEffect, useState } from 'react';
import type { ServicesStatus, StoreKeyStatus } from '../../../../main/contracts/api.js';
import { ApiError } from '../../../../main/contracts/client.js';
import { useClient } from '../../app/client-context.js';
import { desktopBridge } from '../../app/ipc.js';
import { describeError } from '../../components/errors.js';
import { RotateKey } from './desktop-admin.js';
import { RestoreSection } from './restore-section.js';
import { ServicesSection } from './services-section.js';

/**
 * What runs on the box beside the API (MQTT streams, watched folders, pipeline schedules), its store key, and
 * restoring a backup: the admin's page. Streams and folders are set in the config file on the box (a caller over
 * HTTP names no broker and no path), and restore replaces the data folder the server has open, so over HTTP those
 * are shown with the command that does them; the desktop app, the local admin, restores from here.
 */
export function OperationsPage() {
  const client = useClient();
  const [services, setServices] = useState<ServicesStatus | null>(null);
  const [key, setKey] = useState<StoreKeyStatus | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    Promise.all([client.call('system.services', {}), client.call('store.key-status', {})]).then(
      ([s, k]) => {
        setServices(s);
        setKey(k);
      },
      (e: unknown) => (e instanceof ApiError && e.code === 'FORBIDDEN' ? setForbidden(true) : setError(describeError(e))),
    );
  }, [client]);
  useEffect(load, [load]);
  const desktop = desktopBridge() !== null;

  if (forbidden)
    return (
      <section data-testid="operations">
        <h2>Operations</h2>
        <p className="muted" data-testid="operations-admin-only">
          Streams, watched folders, the store key and restoring backups are for admins: this sign-in's role may not see them.
        </p>
      </section>
    );
  return (
    <section data-testid="operations">
      <h2>Operations</h2>
      <div className="toolbar">
        <button data-testid="operations-refresh" onClick={load}>
          Refresh
        </button>
      </div>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {services !== null && <ServicesSection status={services} desktop={desktop} onChanged={load} />}
      {key !== null && <StoreKeySection status={key} desktop={desktop} />}
      <RestoreSection desktop={desktop} />
    </section>
  );
}

function StoreKeySection({ status, desktop }: { status: StoreKeyStatus; desktop: boolean }) {
  const source =
    status.source === 'key'
      ? 'HEARTH_STORE_KEY (the desktop app keeps its key in the OS keychain and passes it so)'
      : status.source === 'keyFile'
        ? `the key file ${status.keyFile ?? ''}`
        : 'a passphrase (HEARTH_STORE_PASSPHRASE)';
  return (
    <div data-testid="store-key">
      <h3>Store key</h3>
      <p data-testid="store-key-status" data-encrypted={status.encrypted ? 'true' : 'false'}>
        {status.encrypted
          ? `The store is encrypted at rest; its key came from ${source}.`
          : 'The store is not encrypted at rest. A key applies to new stores only: start a new data folder with HEARTH_STORE_KEY_FILE set, then restore a backup into it.'}
      </p>
      {desktop && status.encrypted ? (
        <RotateKey />
      ) : (
        <p className="muted" data-testid="store-key-host-only">
          Rotating the key re-encrypts the database and every blob with the store stopped, so it is done on the box, not from
          here: stop Hearth, then <code>hearth keys rotate --new-key-file FILE</code> (the current key from the same variables),
          and start it with the new key. <code>hearth keys generate</code> makes a key.
        </p>
      )}
    </div>
  );
}
