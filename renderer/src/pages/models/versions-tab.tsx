import type { ModelVersionInfo } from '../../../../main/contracts/api.js';
import { CostTable } from '../../components/cost-table.js';
import { VersionReport } from './version-report.js';

/** Every version of the model (pick one, promote one, roll production back), and where the picked one came from. */
export function VersionsTab({
  versions,
  version,
  onPick,
  onPromote,
  onRollback,
}: {
  versions: ModelVersionInfo[];
  version: ModelVersionInfo;
  onPick: (v: ModelVersionInfo) => void;
  onPromote: (v: number) => void;
  onRollback: () => void;
}) {
  const r = version.report as { split?: { train: number; validation: number; test: number }; codeVersion?: string };
  return (
    <>
      <div className="toolbar">
        <button data-testid="rollback" onClick={onRollback}>
          Roll back production
        </button>
      </div>
      <table data-testid="versions-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Aliases</th>
            <th>Dataset</th>
            <th>Metrics</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr
              key={v.version}
              data-testid={`version-row-${v.version}`}
              className={v.version === version.version ? 'selected' : ''}
              onClick={() => onPick(v)}
            >
              <td>v{v.version}</td>
              <td data-testid={`aliases-${v.version}`}>{v.aliases.join(', ')}</td>
              <td>
                {v.dataset.name} v{v.dataset.version}
              </td>
              <td>
                {Object.entries(v.metrics)
                  .slice(0, 4)
                  .map(([k, m]) => `${k} ${m.toFixed(3)}`)
                  .join(' · ')}
              </td>
              <td>{new Date(v.createdAt).toLocaleString()}</td>
              <td>
                {!v.aliases.includes('production') && (
                  <button
                    data-testid={`promote-${v.version}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      onPromote(v.version);
                    }}
                  >
                    Promote
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Lineage of v{version.version}</h4>
      <table data-testid="lineage">
        <tbody>
          <tr>
            <th>Dataset</th>
            <td>
              {version.dataset.name} v{version.dataset.version} <code>{version.dataset.contentHash.slice(0, 19)}…</code>
            </td>
          </tr>
          {r.split !== undefined && (
            <tr>
              <th>Rows (train / validation / test)</th>
              <td>
                {r.split.train.toLocaleString('en-US')} / {r.split.validation.toLocaleString('en-US')} /{' '}
                {r.split.test.toLocaleString('en-US')}
              </td>
            </tr>
          )}
          <tr>
            <th>Learner</th>
            <td>
              {version.algorithm} <code>{JSON.stringify(version.params)}</code>
            </td>
          </tr>
          <tr>
            <th>ONNX</th>
            <td>
              <code>{version.onnxDigest}</code>
            </td>
          </tr>
          {version.origin !== null && (
            <tr>
              <th>Pulled from</th>
              <td data-testid="model-origin">
                Pulled from <code>{version.origin.url}</code> ({version.origin.reference}, remote v
                {version.origin.remoteVersion ?? '?'}), manifest <code>{version.origin.digest.slice(0, 19)}…</code>, on{' '}
                {new Date(version.origin.pulledAt).toLocaleString()}
              </td>
            </tr>
          )}
          {r.codeVersion !== undefined && (
            <tr>
              <th>Hearth</th>
              <td>{r.codeVersion}</td>
            </tr>
          )}
        </tbody>
      </table>
      <h4>Cost of v{version.version}</h4>
      <CostTable cost={version.cost} testId="version-cost" />
      <VersionReport version={version} part="training" />
    </>
  );
}
