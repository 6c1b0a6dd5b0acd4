import { useState } from 'react';
import type { DatasetDiff } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/** What changed between this version and another: schema, rows added and removed, distributions. */
export function DiffSection({ dataset, version, versions }: { dataset: string; version: number; versions: number[] }) {
  const client = useClient();
  const others = versions.filter((v) => v !== version);
  const [picked, setOther] = useState<number | null>(null);
  // The version list may arrive after this mounts: until one is picked, the previous version (or the first other).
  const other = picked ?? (others.includes(version - 1) ? version - 1 : (others[0] ?? null));
  const [diff, setDiff] = useState<DatasetDiff | null>(null);
  const { message, error, run } = useOutcome();
  if (others.length === 0) return null;
  return (
    <div data-testid="diff">
      <h4>Compare versions</h4>
      <div className="toolbar">
        <label>
          v{version} against{' '}
          <select data-testid="diff-other" value={other ?? ''} onChange={(e) => setOther(Number(e.target.value))}>
            {others.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        <button
          data-testid="diff-run"
          disabled={other === null}
          onClick={() =>
            void run(async () => {
              const [from, to] = other! < version ? [other!, version] : [version, other!];
              const d = await client.call('datasets.diff', { name: dataset, from, to });
              setDiff(d);
              return `v${d.from} → v${d.to}: ${d.rows.added} rows added, ${d.rows.removed} removed, ${d.distributions.filter((c) => c.changed).length} columns changed distribution.`;
            })
          }
        >
          Compare
        </button>
      </div>
      <Outcome prefix="diff" message={message} error={error} />
      {diff !== null && (
        <>
          {diff.schema.added.length + diff.schema.dropped.length + diff.schema.retyped.length > 0 && (
            <p data-testid="diff-schema">
              {[
                ...diff.schema.added.map((c) => `+ ${c.column} (${c.type})`),
                ...diff.schema.dropped.map((c) => `− ${c.column} (${c.type})`),
                ...diff.schema.retyped.map((c) => `~ ${c.column}: ${c.from} → ${c.to}`),
              ].join(' · ')}
            </p>
          )}
          <table data-testid="diff-distributions">
            <thead>
              <tr>
                <th>Column</th>
                <th>Test</th>
                <th>Statistic</th>
                <th>p-value</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {diff.distributions.map((c) => (
                <tr key={c.column} data-testid={`diff-column-${c.column}`} className={c.changed ? 'selected' : ''}>
                  <td>{c.column}</td>
                  <td>{c.test}</td>
                  <td>{c.statistic.toPrecision(3)}</td>
                  <td>{c.pValue === null ? '–' : c.pValue.toPrecision(3)}</td>
                  <td>{c.changed ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
