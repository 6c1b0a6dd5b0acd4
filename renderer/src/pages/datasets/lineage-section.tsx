import { useEffect, useState } from 'react';
import type { DatasetVersionInfo, ModelVersionInfo } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/**
 * Lineage: each version of the dataset with the source it came from, and the model versions trained on it (their
 * aliases too), so a model can be traced to the bytes it learnt from and a source to what it fed.
 */
export function LineageSection({ dataset }: { dataset: string }) {
  const client = useClient();
  const [versions, setVersions] = useState<DatasetVersionInfo[]>([]);
  const [models, setModels] = useState<ModelVersionInfo[]>([]);
  const { error, fail } = useOutcome();
  useEffect(() => {
    (async () => {
      const [all, list] = await Promise.all([
        client.call('datasets.versions', { name: dataset }),
        client.call('models.list', {}),
      ]);
      const trained = (await Promise.all(list.map((m) => client.call('models.versions', { name: m.name })))).flat();
      setVersions(all);
      setModels(trained.filter((m) => m.dataset.name === dataset));
    })().catch(fail);
  }, [client, dataset, fail]);
  return (
    <div data-testid="lineage">
      <h4>Lineage</h4>
      <table>
        <thead>
          <tr>
            <th>Version</th>
            <th>From</th>
            <th>Rows</th>
            <th>Models trained on it</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => {
            const trained = models.filter((m) => m.dataset.version === v.version);
            return (
              <tr key={v.version} data-testid={`lineage-v${v.version}`}>
                <td>v{v.version}</td>
                <td>
                  <code>{v.source.fileName}</code>
                  {v.source.pipeline !== undefined && (
                    <span className="muted" data-testid={`lineage-v${v.version}-inputs`}>
                      {' '}
                      (file v{v.source.pipeline.version}) ←{' '}
                      {(v.source.inputs ?? [])
                        .map((i) => `${i.dataset} v${i.version}${i.role === 'lookup' ? ' (lookup)' : ''}`)
                        .join(', ')}
                    </span>
                  )}
                </td>
                <td>{v.rows}</td>
                <td>
                  {trained.length === 0
                    ? '–'
                    : trained
                        .map((m) => `${m.model} v${m.version}${m.aliases.length > 0 ? ` (${m.aliases.join(', ')})` : ''}`)
                        .join('; ')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Outcome prefix="lineage" message={null} error={error} />
    </div>
  );
}
