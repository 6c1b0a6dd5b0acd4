import { useCallback, useEffect, useState } from 'react';
import type { ModelSummary, ModelVersionInfo } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { base64Bytes, saveFile } from '../../components/download.js';
import { AliasesSection } from './aliases-section.js';
import { useCall } from '../../components/use-call.js';
import { DriftSection } from './drift-section.js';
import { ImportSection } from './import-section.js';
import { LogRetentionSection } from './log-retention-section.js';
import { MonitorSection } from './monitor-section.js';
import { RoutingSection } from './routing-section.js';
import { Snapshots } from './snapshots.js';
import { VersionReport } from './version-report.js';

export function ModelsPage({ initial }: { initial?: string | undefined } = {}) {
  const client = useClient();
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(initial ?? null);
  const [versions, setVersions] = useState<ModelVersionInfo[]>([]);
  const [version, setVersion] = useState<ModelVersionInfo | null>(null);
  const { error, run, fail } = useCall();

  const refresh = useCallback(
    async (name?: string | null) => {
      const list = await client.call('models.list', {});
      setModels(list);
      const pick = name ?? list[0]?.name ?? null;
      setSelected(pick);
      if (pick !== null) {
        const vs = await client.call('models.versions', { name: pick });
        setVersions(vs);
        setVersion((current) => vs.find((v) => v.version === current?.version && v.model === pick) ?? vs[0] ?? null);
      }
    },
    [client],
  );

  useEffect(() => {
    refresh().catch(fail);
  }, [refresh, fail]);

  // Unlike the actions below, a download leaves an earlier error standing.
  const downloadReport = (name: string, v: number): Promise<void> =>
    client
      .call('models.report', { name, version: v })
      .then((report) => saveFile(report.fileName, report.html, 'text/html'))
      .catch(fail);
  const downloadOnnx = (name: string, v: number): Promise<void> =>
    client
      .call('models.export', { name, version: v })
      .then((file) => saveFile(file.fileName, base64Bytes(file.base64), file.mediaType))
      .catch(fail);

  const [retraining, setRetraining] = useState(false);
  const [retrained, setRetrained] = useState<string | null>(null);

  const act = (action: () => Promise<unknown>) =>
    run(async () => {
      await action();
      await refresh(selected);
    });

  return (
    <section>
      <h2>Models</h2>
      <ImportSection onImported={(name) => refresh(name)} />
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="split">
        <ul className="list" data-testid="models-list">
          {models.map((m) => (
            <li key={m.name} className={m.name === selected ? 'selected' : ''} onClick={() => void refresh(m.name)}>
              <strong>{m.name}</strong>
              <span className="muted">
                {' '}
                {m.task} · {m.target} ·{' '}
                {Object.entries(m.aliases)
                  .map(([a, v]) => `${a} v${v}`)
                  .join(', ')}
              </span>
            </li>
          ))}
        </ul>
        <div>
          {selected !== null && (
            <>
              <div className="toolbar">
                <button data-testid="rollback" onClick={() => void act(() => client.call('models.rollback', { name: selected }))}>
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
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {versions.map((v) => (
                    <tr
                      key={v.version}
                      data-testid={`version-row-${v.version}`}
                      className={v.version === version?.version ? 'selected' : ''}
                      onClick={() => setVersion(v)}
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
                      <td>
                        {!v.aliases.includes('production') && (
                          <button
                            data-testid={`promote-${v.version}`}
                            onClick={(e) => {
                              e.stopPropagation();
                              void act(() => client.call('models.promote', { name: selected, version: v.version }));
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
            </>
          )}
          {version !== null && (
            <div className="card" data-testid="model-detail">
              <h3>
                {version.model} v{version.version}{' '}
                <button data-testid="download-report" onClick={() => void downloadReport(version.model, version.version)}>
                  Download report
                </button>{' '}
                <button
                  data-testid="download-onnx"
                  title="The ONNX graph as served, with its input names and types and class labels in its metadata (analysts and admins)"
                  onClick={() => void downloadOnnx(version.model, version.version)}
                >
                  Download ONNX
                </button>{' '}
                <button
                  data-testid="retrain"
                  disabled={retraining}
                  title="Train a challenger with production's settings on the newest data; promote it only if it is better on its holdout"
                  onClick={() => {
                    setRetraining(true);
                    setRetrained(null);
                    void act(async () => {
                      const r = await client.call('models.retrain', { name: version.model });
                      const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
                      setRetrained(
                        `Challenger v${r.challenger.version} ${r.metric} ${fmt(r.challenger.score)} against production v${r.production.version} ${fmt(r.production.score)} on ${r.holdoutRows} held-out rows: ${r.promoted ? 'promoted' : 'kept production'} (${r.reason}).`,
                      );
                    }).finally(() => setRetraining(false));
                  }}
                >
                  {retraining ? 'Retraining…' : 'Retrain on the newest data'}
                </button>
              </h3>
              <p className="muted">
                {version.algorithm} · {version.task} · target {version.target} · trained on {version.dataset.name} v
                {version.dataset.version} · ONNX <code>{version.onnxDigest.slice(0, 19)}…</code>
              </p>
              <p className="muted" data-testid="explain-support">
                {version.explainRefusal === null
                  ? `Predictions can be explained (${version.algorithm === 'linear' ? 'exact linear SHAP' : 'exact TreeSHAP'}).`
                  : `No explanations: ${version.explainRefusal}.`}
              </p>
              {retrained !== null && <p data-testid="retrain-result">{retrained}</p>}
              {version.origin !== null && (
                <p className="muted" data-testid="model-origin">
                  Pulled from <code>{version.origin.url}</code> ({version.origin.reference}, remote v
                  {version.origin.remoteVersion ?? '?'}), manifest <code>{version.origin.digest.slice(0, 19)}…</code>, on{' '}
                  {new Date(version.origin.pulledAt).toLocaleString()}
                </p>
              )}
              <table data-testid="metrics-table">
                <tbody>
                  {Object.entries(version.metrics).map(([k, v]) => (
                    <tr key={k}>
                      <td>{k}</td>
                      <td data-testid={`metric-${k}`}>{v.toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Snapshots model={version.model} version={version.version} />
              <AliasesSection
                key={`a-${version.model}`}
                model={version.model}
                aliases={models.find((m) => m.name === version.model)?.aliases ?? {}}
                versions={versions.map((v) => v.version)}
                onChanged={() => refresh(version.model)}
              />
              <RoutingSection key={`r-${version.model}`} model={version.model} versions={versions.map((v) => v.version)} />
              <LogRetentionSection key={`lr-${version.model}`} model={version.model} />
              <MonitorSection key={`m-${version.model}@${version.version}`} model={version.model} version={version.version} />
              <DriftSection key={`${version.model}@${version.version}`} model={version.model} version={version.version} />
              <VersionReport version={version} />
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
