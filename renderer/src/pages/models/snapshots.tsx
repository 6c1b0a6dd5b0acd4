import { useCallback, useEffect, useState } from 'react';
import type { EvaluationSnapshot, MetricSnapshot } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';

/** A version's metrics measured after training (each one is synced to the registry as a referrer of the version). */
export function Snapshots({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const [snapshots, setSnapshots] = useState<MetricSnapshot[]>([]);
  const { busy, error, run, fail } = useCall();
  // The latest evaluation's baseline: what knowing nothing scores on the same rows (not stored with the snapshot).
  const [latest, setLatest] = useState<EvaluationSnapshot | null>(null);
  const load = useCallback(() => {
    client.call('models.snapshots', { name: model, version }).then(setSnapshots, fail);
  }, [client, model, version, fail]);
  useEffect(load, [load]);
  const evaluate = (file: File) =>
    run(async () => {
      const uploadId = await client.upload(file, file.name);
      setLatest(await client.call('models.evaluate', { name: model, version, uploadId }));
      load();
    });
  return (
    <div data-testid="snapshots">
      <h4>Measured since training</h4>
      {snapshots.length === 0 ? (
        <p className="muted">No evaluations yet.</p>
      ) : (
        <table data-testid="snapshots-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Rows</th>
              <th>Data</th>
              {Object.keys(snapshots[0]!.metrics).map((k) => (
                <th key={k}>{k}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {snapshots.map((s) => (
              <tr key={s.id}>
                <td>{new Date(s.createdAt).toLocaleString()}</td>
                <td>{s.rows}</td>
                <td>
                  <code>{s.dataHash.slice(7, 19)}</code>
                </td>
                {Object.keys(snapshots[0]!.metrics).map((k) => (
                  <td key={k}>{s.metrics[k]?.toFixed(4) ?? '–'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <label>
        Evaluate on a labelled CSV file{' '}
        <input
          type="file"
          accept=".csv,text/csv"
          data-testid="evaluate-input"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) void evaluate(file);
            e.target.value = '';
          }}
        />
      </label>
      {latest !== null && latest.baseline !== null && (
        <p className={latest.baseline.beaten ? 'muted' : 'error'} data-testid="evaluate-baseline">
          On these {latest.rows} rows,{' '}
          {latest.baseline.kind === 'majority' ? `always answering “${latest.baseline.answer}”` : 'the training mean'} scores{' '}
          {Object.entries(latest.baseline.metrics)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join(', ')}
          : the model {latest.baseline.beaten ? 'clearly beats it' : 'does not clearly beat it'} (
          {latest.baseline.tests.map((t) => `${t.metric} p = ${t.p.toPrecision(2)}`).join('; ')}).
        </p>
      )}
      {error !== null && <p className="error">{error}</p>}
    </div>
  );
}
