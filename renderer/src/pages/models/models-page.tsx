import { useCallback, useEffect, useRef, useState } from 'react';
import type { BaselineComparison, ModelSummary, ModelVersionInfo } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { base64Bytes, saveFile } from '../../components/download.js';
import { SearchBox, viewRows, type SortColumn } from '../../components/list-view.js';
import { Tabs } from '../../components/tabs.js';
import { AliasesSection } from './aliases-section.js';
import { useCall } from '../../components/use-call.js';
import { DriftSection } from './drift-section.js';
import { EvaluationCharts } from './evaluation-charts.js';
import { ImportSection } from './import-section.js';
import { LogRetentionSection } from './log-retention-section.js';
import { CompressTab } from './compress-tab.js';
import { BaselineVerdict, metricReading, MetricsTable } from './metric-reading.js';
import { MonitorSection } from './monitor-section.js';
import { RoutingSection } from './routing-section.js';
import { Snapshots } from './snapshots.js';
import { VersionReport } from './version-report.js';
import { VersionsTab } from './versions-tab.js';
import { ScoreFile } from '../operations/desktop-admin.js';
import { cpuHoursText, priceText } from '../../components/cost-table.js';

const tabs = [
  { key: 'overview', title: 'Overview' },
  { key: 'evaluation', title: 'Evaluation' },
  { key: 'explanations', title: 'Explanations' },
  { key: 'serving', title: 'Serving' },
  { key: 'monitoring', title: 'Monitoring' },
  { key: 'versions', title: 'Versions and lineage' },
  { key: 'compress', title: 'Compress' },
] as const;
type Tab = (typeof tabs)[number]['key'];

/** How the models list sorts: by name, by the newest version's number, by task, or newest first. */
const modelColumns: SortColumn<ModelSummary>[] = [
  { key: 'name', value: (m) => m.name },
  { key: 'versions', value: (m) => m.versions },
  { key: 'task', value: (m) => m.task },
  { key: 'created', value: (m) => m.createdAt },
];
const modelText = (m: ModelSummary): string => `${m.name} ${m.task} ${m.target} ${Object.keys(m.aliases).join(' ')}`;

/** The model, tab and version a link or a reload asks for: `#models/<model>/<tab>/v<N>` (tab and version optional). */
export function linkedModel(hash: string): { model: string | undefined; tab: Tab; version: number | undefined } {
  const none = { model: undefined, tab: 'overview', version: undefined } as const;
  if (!hash.startsWith('#models/')) return none;
  let parts: string[];
  try {
    parts = hash.slice('#models/'.length).split('/').map(decodeURIComponent);
  } catch {
    return none;
  }
  const [model, tab, version] = parts;
  const number = /^v([1-9]\d{0,8})$/.exec(version ?? '')?.[1];
  return {
    model: model === '' ? undefined : model,
    tab: tabs.find((t) => t.key === tab)?.key ?? 'overview',
    version: number === undefined ? undefined : Number(number),
  };
}

/** The address of a model's tab, at a version when one is given. */
export function modelHash(model: string, tab: Tab, version: number | undefined): string {
  return `#models/${encodeURIComponent(model)}/${tab}${version === undefined ? '' : `/v${version}`}`;
}

export function ModelsPage({ initial }: { initial?: string | undefined } = {}) {
  const client = useClient();
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [query, setQuery] = useState('');
  const [taskFilter, setTaskFilter] = useState<'' | ModelSummary['task']>('');
  const [sortKey, setSortKey] = useState('name');
  const shownModels = viewRows(
    models,
    query,
    modelText,
    modelColumns,
    { key: sortKey, direction: sortKey === 'created' || sortKey === 'versions' ? 'descending' : 'ascending' },
    (m) => taskFilter === '' || m.task === taskFilter,
  );
  const linked = linkedModel(window.location.hash);
  const [selected, setSelected] = useState<string | null>(initial ?? linked.model ?? null);
  const [tab, setTab] = useState<Tab>(linked.tab);
  const [versions, setVersions] = useState<ModelVersionInfo[]>([]);
  const [version, setVersion] = useState<ModelVersionInfo | null>(null);
  // The model, tab and version in the address, so that a reload or a copied link opens the same view. A user's
  // pick adds a history entry (Back returns to the view before it); the page's own corrections replace the entry.
  const pushNext = useRef(false);
  const shownVersion = version !== null && version.model === selected ? version.version : undefined;
  useEffect(() => {
    if (selected === null) return;
    const hash = modelHash(selected, tab, shownVersion);
    if (window.location.hash === hash) return;
    if (pushNext.current) history.pushState(null, '', hash);
    else history.replaceState(null, '', hash);
    pushNext.current = false;
  }, [selected, tab, shownVersion]);
  useEffect(() => () => history.replaceState(null, '', window.location.pathname + window.location.search), []);
  const userPick =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      pushNext.current = true;
      set(value);
    };
  const { error, run, fail } = useCall();

  const refresh = useCallback(
    async (name?: string | null, wanted?: number) => {
      const list = await client.call('models.list', {});
      setModels(list);
      // A name from an old link may be gone: then the first model.
      const pick = list.some((m) => m.name === name) ? name! : (list[0]?.name ?? null);
      setSelected(pick);
      if (pick !== null) {
        const vs = await client.call('models.versions', { name: pick });
        setVersions(vs);
        // The version asked for (a link, Back), else the one shown when it is still there, else the newest.
        setVersion(
          (current) =>
            vs.find((v) => v.version === wanted) ??
            vs.find((v) => v.version === current?.version && v.model === pick) ??
            vs[0] ??
            null,
        );
      }
    },
    [client],
  );

  useEffect(() => {
    // The model and version a link or the address named, when there is one.
    refresh(selected, linked.version).catch(fail);
    // Only on opening: later picks call refresh themselves.
  }, [refresh, fail]);
  // Back and Forward: show the view the address now names.
  useEffect(() => {
    const onPop = () => {
      const to = linkedModel(window.location.hash);
      if (to.model === undefined) return;
      setTab(to.tab);
      refresh(to.model, to.version).catch(fail);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
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
        <div>
          <SearchBox
            testId="models"
            label="Search models by name, task, target or alias"
            value={query}
            onChange={setQuery}
            shown={shownModels.length}
            total={models.length}
          />
          <div className="list-tools">
            <label>
              Task{' '}
              <select
                data-testid="models-task-filter"
                value={taskFilter}
                onChange={(e) => setTaskFilter(e.target.value as '' | ModelSummary['task'])}
              >
                <option value="">all</option>
                <option value="binary">binary</option>
                <option value="multiclass">multiclass</option>
                <option value="regression">regression</option>
              </select>
            </label>{' '}
            <label>
              Sort{' '}
              <select data-testid="models-sort" value={sortKey} onChange={(e) => setSortKey(e.target.value)}>
                <option value="name">name</option>
                <option value="created">newest first</option>
                <option value="versions">most versions</option>
                <option value="task">task</option>
              </select>
            </label>
          </div>
          <ul className="list" data-testid="models-list">
            {shownModels.map((m) => (
              <li
                key={m.name}
                className={m.name === selected ? 'selected' : ''}
                onClick={() => {
                  pushNext.current = true;
                  void refresh(m.name);
                }}
              >
                <strong>
                  {/* Reachable by keyboard: its click reaches the item. */}
                  <button type="button" className="link" aria-current={m.name === selected ? 'true' : undefined}>
                    {m.name}
                  </button>
                </strong>
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
        </div>
        <div>
          {version !== null && (
            <div className="card" data-testid="model-detail">
              <h3>
                {version.model}{' '}
                <select
                  data-testid="version-pick"
                  aria-label="Version"
                  value={version.version}
                  onChange={(e) => userPick(setVersion)(versions.find((v) => v.version === Number(e.target.value)) ?? version)}
                >
                  {versions.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version}
                      {v.aliases.length > 0 ? ` (${v.aliases.join(', ')})` : ''}
                    </option>
                  ))}
                </select>{' '}
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
                <ScoreFile model={version.model} version={version.version} />{' '}
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
                {version.dataset.version} · {version.aliases.length > 0 ? version.aliases.join(', ') : 'no alias'}
              </p>
              {retrained !== null && <p data-testid="retrain-result">{retrained}</p>}
              <Tabs
                id="model"
                label={`${version.model} v${version.version}`}
                tabs={tabs}
                selected={tab}
                onSelect={userPick(setTab)}
              >
                {tab === 'overview' && <Overview version={version} />}
                {tab === 'evaluation' && (
                  <>
                    <MetricsTable version={version} />
                    <VersionReport version={version} part="evaluation" />
                    <EvaluationCharts version={version} />
                    <Snapshots model={version.model} version={version.version} />
                  </>
                )}
                {tab === 'explanations' && (
                  <>
                    <p className="muted" data-testid="explain-support">
                      {version.explainRefusal === null
                        ? `Predictions can be explained (${version.algorithm === 'linear' ? 'exact linear SHAP' : 'exact TreeSHAP'}).`
                        : `No explanations: ${version.explainRefusal}.`}
                    </p>
                    <VersionReport version={version} part="explanations" />
                  </>
                )}
                {tab === 'serving' && (
                  <>
                    <AliasesSection
                      key={`a-${version.model}`}
                      model={version.model}
                      aliases={models.find((m) => m.name === version.model)?.aliases ?? {}}
                      versions={versions.map((v) => v.version)}
                      onChanged={() => refresh(version.model)}
                    />
                    <RoutingSection key={`r-${version.model}`} model={version.model} versions={versions.map((v) => v.version)} />
                    <LogRetentionSection key={`lr-${version.model}`} model={version.model} />
                  </>
                )}
                {tab === 'monitoring' && (
                  <>
                    <MonitorSection
                      key={`m-${version.model}@${version.version}`}
                      model={version.model}
                      version={version.version}
                    />
                    <DriftSection key={`${version.model}@${version.version}`} model={version.model} version={version.version} />
                  </>
                )}
                {tab === 'versions' && (
                  <VersionsTab
                    versions={versions}
                    version={version}
                    onPick={userPick(setVersion)}
                    onPromote={(v) => void act(() => client.call('models.promote', { name: version.model, version: v }))}
                    onRollback={() => void act(() => client.call('models.rollback', { name: version.model }))}
                  />
                )}
                {tab === 'compress' && (
                  <CompressTab
                    key={`c-${version.model}@${version.version}`}
                    model={version.model}
                    version={version.version}
                    onRegistered={() => void refresh(version.model)}
                  />
                )}
              </Tabs>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

/** The version at a glance: its main metric read in plain words, beside the baseline, and its warnings. */
function Overview({ version }: { version: ModelVersionInfo }) {
  const report = version.report as {
    baseline?: BaselineComparison;
    warnings?: { kind: string; message: string }[];
    evaluatedOn?: string;
    split?: { train: number; validation: number; test: number };
    predictLatencyUs?: number;
    modelBytes?: number;
  };
  const reading = metricReading(version);
  return (
    <>
      {reading !== null && (
        <p className="reading" data-testid="metric-reading">
          {reading}
        </p>
      )}
      {report.baseline !== undefined && <BaselineVerdict baseline={report.baseline} />}
      <table data-testid="overview-facts">
        <tbody>
          {Object.entries(version.metrics)
            .slice(0, 3)
            .map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>
                  {v.toFixed(4)}
                  {report.baseline?.metrics[k] !== undefined && (
                    <span className="muted"> (baseline {report.baseline.metrics[k].toFixed(4)})</span>
                  )}
                </td>
              </tr>
            ))}
          {report.split !== undefined && (
            <tr>
              <th>Rows</th>
              <td>
                {report.split.train.toLocaleString('en-US')} to train, {report.split.validation.toLocaleString('en-US')} to
                validate, {report.split.test.toLocaleString('en-US')} to test
              </td>
            </tr>
          )}
          {report.predictLatencyUs !== undefined && (
            <tr>
              <th>One-row prediction</th>
              <td>{Math.round(report.predictLatencyUs).toLocaleString('en-US')} µs (ONNX Runtime)</td>
            </tr>
          )}
          {report.modelBytes !== undefined && (
            <tr>
              <th>Model size</th>
              <td>{Math.ceil(report.modelBytes / 1024).toLocaleString('en-US')} KiB</td>
            </tr>
          )}
          {version.cost !== null && (
            <tr>
              <th>Cost</th>
              <td data-testid="overview-cost">
                {cpuHoursText(version.cost.training.cpuHours)} CPU-h to train
                {priceText(version.cost, version.cost.price?.training ?? null)};{' '}
                {cpuHoursText(version.cost.perMillion.batchCpuHours)} CPU-h
                {priceText(version.cost, version.cost.price?.perMillionBatch ?? null)} per million predictions in batches,{' '}
                {cpuHoursText(version.cost.perMillion.singleRowCpuHours)} CPU-h
                {priceText(version.cost, version.cost.price?.perMillionSingleRow ?? null)} one row at a time (details under
                Versions)
              </td>
            </tr>
          )}
          <tr>
            <th>Trained</th>
            <td>{new Date(version.createdAt).toLocaleString()}</td>
          </tr>
        </tbody>
      </table>
      <p className="muted">
        Measured on the {report.evaluatedOn ?? 'test'} rows. Every metric beside the baseline, and the curves, are under
        Evaluation.
      </p>
      {report.warnings !== undefined && report.warnings.length > 0 && (
        <ul className="warnings" data-testid="model-warnings">
          {report.warnings.map((w) => (
            <li key={w.message} className="error">
              {w.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
