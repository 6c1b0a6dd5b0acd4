import { useCallback, useEffect, useState } from 'react';
import type { StandbyInfo } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';

/**
 * One line on backup shipping and standby state (sync.standby): what this box ships to a registry and when it last
 * did; or, on a standby, which backup it serves, how far behind the writer it was restored, and the promotion.
 */
export function StandbyLine({ run }: { run: (action: () => Promise<string>) => Promise<void> }) {
  const client = useClient();
  const [info, setInfo] = useState<StandbyInfo | null>(null);
  const refresh = useCallback(() => {
    client.call('sync.standby', {}).then(setInfo, () => setInfo(null));
  }, [client]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [refresh]);
  if (info === null) return null;
  const last = info.shipping.last;
  const shipping =
    info.shipping.remote === null
      ? 'Backups are not shipped to a registry (config backups.remote).'
      : last === null
        ? `Backups ship to ${info.shipping.remote}; none shipped yet by this process.`
        : last.error !== null
          ? `Shipping to ${info.shipping.remote} failed at ${last.at}: ${last.error}`
          : `Last backup shipped to ${info.shipping.remote} at ${last.at} (${(last.bytes / 1e6).toFixed(1)} MB in ${last.ms} ms).`;
  return (
    <p data-testid="standby-line">
      {info.role === 'standby' && (
        <>
          Standby of <code>{info.from}</code>:{' '}
          {info.digest === null
            ? 'no backup restored yet.'
            : `serving the backup of ${info.backupCreatedAt}, restored ${info.lagSeconds} s after it was taken.`}
          {info.lastError !== null && <span className="error"> Last check: {info.lastError}</span>}{' '}
          <button
            data-testid="promote-standby"
            disabled={info.digest === null}
            onClick={() =>
              void run(async () => {
                const promoted = await client.call('sync.promote-standby', {});
                refresh();
                return `Promoted: this box is the writer since ${promoted.promotedAt}.`;
              })
            }
          >
            Promote to writer
          </button>{' '}
        </>
      )}
      {info.role === 'writer' && <>Promoted standby: the writer since {info.promotedAt}. </>}
      {shipping}
    </p>
  );
}
