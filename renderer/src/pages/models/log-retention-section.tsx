import { useEffect, useState } from 'react';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/** How many days of prediction log the model keeps, and collecting now what retention lets go. */
export function LogRetentionSection({ model }: { model: string }) {
  const client = useClient();
  const [days, setDays] = useState('');
  const { message, error, run } = useOutcome();
  useEffect(() => {
    client.call('retention.list', {}).then(
      (rules) => setDays(String(rules.find((r) => r.kind === 'model' && r.name === model)?.logDays ?? '')),
      () => undefined,
    );
  }, [client, model]);
  return (
    <div data-testid="log-retention">
      <h4>Prediction log retention</h4>
      <label>
        Keep <input data-testid="log-days" value={days} onChange={(e) => setDays(e.target.value)} size={4} /> days of log
      </label>{' '}
      <button
        data-testid="log-days-set"
        onClick={() =>
          void run(async () => {
            const rule = await client.call('retention.set', {
              kind: 'model',
              name: model,
              keepVersions: null,
              logDays: Number(days),
            });
            return `${rule.name} keeps ${rule.logDays} days of prediction log.`;
          })
        }
      >
        Set
      </button>{' '}
      <button
        data-testid="gc-now"
        onClick={() =>
          void run(async () => {
            const r = await client.call('store.gc', {});
            return `Removed ${r.datasetVersionsRemoved.length} dataset versions, ${r.predictionLogRowsRemoved} log rows and ${r.blobsRemoved} blobs.`;
          })
        }
      >
        Collect now
      </button>
      <Outcome prefix="retention" message={message} error={error} />
    </div>
  );
}
