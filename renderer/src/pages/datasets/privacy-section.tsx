import { useEffect, useState } from 'react';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/** A dataset's PII policies, a k-anonymity check over chosen quasi-identifiers, and how many versions to keep. */
export function PrivacySection({ dataset, version, columns }: { dataset: string; version: number; columns: string[] }) {
  const client = useClient();
  const [policies, setPolicies] = useState<Record<string, { policy: string; type: string | null }>>({});
  const [chosen, setChosen] = useState<string[]>([]);
  const [k, setK] = useState('5');
  const [keep, setKeep] = useState('');
  const { message, error, run } = useOutcome();
  useEffect(() => {
    client.call('datasets.pii-policies', { name: dataset }).then(setPolicies, () => setPolicies({}));
  }, [client, dataset]);
  return (
    <div data-testid="privacy">
      <h4>Privacy and retention</h4>
      <p className="muted" data-testid="pii-policies">
        {Object.keys(policies).length === 0
          ? 'No PII policies.'
          : `PII policies: ${Object.entries(policies)
              .map(([c, p]) => `${c} ${p.policy}`)
              .join(', ')}`}
      </p>
      <div className="toolbar">
        <span>Quasi-identifiers:</span>
        {columns.map((c) => (
          <label key={c}>
            <input
              type="checkbox"
              data-testid={`qi-${c}`}
              checked={chosen.includes(c)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c))}
            />{' '}
            {c}
          </label>
        ))}
        <label>
          k <input data-testid="k-value" value={k} onChange={(e) => setK(e.target.value)} size={3} />
        </label>
        <button
          data-testid="k-check"
          disabled={chosen.length === 0}
          onClick={() =>
            void run(async () => {
              const r = await client.call('datasets.k-anonymity', { name: dataset, version, columns: chosen, k: Number(k) });
              return r.groupsBelowK === 0
                ? `k = ${r.k}: every one of the ${r.groups} groups has at least ${r.required} rows.`
                : `k = ${r.k}: ${r.groupsBelowK} of ${r.groups} groups (${r.rowsBelowK} rows) have fewer than ${r.required} rows.`;
            })
          }
        >
          Check k-anonymity
        </button>
      </div>
      <div className="toolbar">
        <label>
          Keep the newest <input data-testid="keep-versions" value={keep} onChange={(e) => setKeep(e.target.value)} size={3} />{' '}
          versions
        </label>
        <button
          data-testid="keep-set"
          onClick={() =>
            void run(async () => {
              const rule = await client.call('retention.set', {
                kind: 'dataset',
                name: dataset,
                keepVersions: Number(keep),
                logDays: null,
              });
              return `${rule.name} keeps its newest ${rule.keepVersions} versions, and any a model was trained on.`;
            })
          }
        >
          Set retention
        </button>
      </div>
      <Outcome prefix="privacy" message={message} error={error} />
    </div>
  );
}
