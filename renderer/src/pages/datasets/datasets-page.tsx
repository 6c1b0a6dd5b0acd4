import { useCallback, useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type {
  ApiArgs,
  ColumnProfile,
  DatasetDiff,
  DatasetVersionInfo,
  ModelVersionInfo,
  DatasetSummary,
  DatasetVersionDetail,
  QuarantinedRow,
  RulesCheck,
} from '../../../../main/contracts/api.js';
import type { PiiDetection, PiiPolicy } from '../../../../main/contracts/pii.js';

const piiPolicies: readonly PiiPolicy[] = ['keep', 'drop', 'mask', 'hash', 'generalise'];
import { useClient } from '../../app/client-context.js';
import { saveFile } from '../../components/download.js';
import { describeError } from '../../components/errors.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

function fmt(v: number | null): string {
  return v === null
    ? '–'
    : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(3)
      : Number(v.toPrecision(5)).toString();
}

function ProfileCard({ profile }: { profile: ColumnProfile }) {
  const data = profile.histogram.map((h) => ({ label: h.label, count: h.count }));
  return (
    <div className="card profile" data-testid={`profile-${profile.name}`}>
      <h4>
        {profile.name} <span className="tag">{profile.type}</span>
      </h4>
      <p className="muted">
        {profile.count} values · {profile.missing} missing · {profile.distinct} distinct
        {profile.mean !== null &&
          ` · mean ${fmt(profile.mean)} · std ${fmt(profile.std)} · min ${fmt(profile.min)} · max ${fmt(profile.max)}`}
      </p>
      {data.length > 0 && (
        <ResponsiveContainer width="100%" height={140}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="label" hide />
            <YAxis width={40} />
            <Tooltip />
            <Bar dataKey="count" fill="#b4532a" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}

/** A dataset's PII policies, a k-anonymity check over chosen quasi-identifiers, and how many versions to keep. */
function PrivacySection({ dataset, version, columns }: { dataset: string; version: number; columns: string[] }) {
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

/**
 * Data quality: the version checked against the dataset's rules (what failed, how many rows, how severe), and the
 * rules themselves as JSON, suggested from this version and edited before saving.
 */
function QualitySection({ dataset, version }: { dataset: string; version: number }) {
  const client = useClient();
  const [check, setCheck] = useState<RulesCheck | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const { message, error, setError, run } = useOutcome();
  const load = useCallback(() => {
    client.call('rules.check', { name: dataset, version }).then(setCheck, (e: unknown) => setError(describeError(e)));
  }, [client, dataset, version, setError]);
  useEffect(load, [load]);
  return (
    <div data-testid="quality">
      <h4>Data quality</h4>
      {check !== null && (
        <p className="muted" data-testid="quality-summary">
          {check.rules === 0
            ? 'No rules yet: suggest them from a version you trust, edit, save.'
            : check.passed
              ? `All ${check.rules} rules hold on v${check.version}.`
              : `${check.failed.length} of ${check.rules} rules fail on v${check.version}.`}
        </p>
      )}
      {check !== null && check.failed.length > 0 && (
        <table data-testid="quality-failures">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Severity</th>
              <th>Rows</th>
              <th>What</th>
            </tr>
          </thead>
          <tbody>
            {check.failed.map((f) => (
              <tr key={f.rule} data-testid={`quality-rule-${f.rule}`}>
                <td>{f.rule}</td>
                <td>{f.severity}</td>
                <td>{f.rows}</td>
                <td>{f.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="toolbar">
        <button
          data-testid="rules-suggest"
          onClick={() =>
            void run(async () => {
              const suggested = await client.call('rules.suggest', { name: dataset, version });
              setDraft(JSON.stringify(suggested, null, 2));
              return `${suggested.length} rules suggested from v${version}: edit them, then save.`;
            })
          }
        >
          Suggest rules from v{version}
        </button>
        <button
          data-testid="rules-edit"
          onClick={() =>
            void run(async () => {
              const current = await client.call('rules.get', { name: dataset });
              setDraft(JSON.stringify(current, null, 2));
              return `${current.length} rules in force.`;
            })
          }
        >
          Edit the rules in force
        </button>
        <button
          data-testid="quality-report"
          onClick={() =>
            void run(async () => {
              const report = await client.call('rules.report', { name: dataset, version });
              saveFile(report.fileName, report.html, 'text/html');
              return `Downloaded ${report.fileName}.`;
            })
          }
        >
          Quality report (HTML)
        </button>
      </div>
      {draft !== null && (
        <>
          <textarea data-testid="rules-draft" rows={14} cols={100} value={draft} onChange={(e) => setDraft(e.target.value)} />
          <div className="toolbar">
            <button
              data-testid="rules-save"
              onClick={() =>
                void run(async () => {
                  let rules: ApiArgs<'rules.set'>['rules'];
                  try {
                    rules = JSON.parse(draft) as ApiArgs<'rules.set'>['rules'];
                  } catch (e) {
                    throw new Error(`the rules are not valid JSON: ${(e as Error).message}`, { cause: e });
                  }
                  const saved = await client.call('rules.set', { name: dataset, rules });
                  setDraft(null);
                  load();
                  return `Saved ${saved.length} rules for ${dataset}: new versions are checked against them, and so are served rows.`;
                })
              }
            >
              Save rules
            </button>
          </div>
        </>
      )}
      <Outcome prefix="quality" message={message} error={error} />
    </div>
  );
}

/**
 * Lineage: each version of the dataset with the source it came from, and the model versions trained on it (their
 * aliases too), so a model can be traced to the bytes it learnt from and a source to what it fed.
 */
function LineageSection({ dataset }: { dataset: string }) {
  const client = useClient();
  const [versions, setVersions] = useState<DatasetVersionInfo[]>([]);
  const [models, setModels] = useState<ModelVersionInfo[]>([]);
  const { error, setError } = useOutcome();
  useEffect(() => {
    (async () => {
      const [all, list] = await Promise.all([
        client.call('datasets.versions', { name: dataset }),
        client.call('models.list', {}),
      ]);
      const trained = (await Promise.all(list.map((m) => client.call('models.versions', { name: m.name })))).flat();
      setVersions(all);
      setModels(trained.filter((m) => m.dataset.name === dataset));
    })().catch((e: unknown) => setError(describeError(e)));
  }, [client, dataset, setError]);
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

/** What changed between this version and another: schema, rows added and removed, distributions. */
function DiffSection({ dataset, version, versions }: { dataset: string; version: number; versions: number[] }) {
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

export function DatasetsPage() {
  const client = useClient();
  const [datasets, setDatasets] = useState<DatasetSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [detail, setDetail] = useState<DatasetVersionDetail | null>(null);
  const [versions, setVersions] = useState<number[]>([]);
  const [quarantine, setQuarantine] = useState<{ total: number; rows: QuarantinedRow[] } | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  useEffect(
    () =>
      client.on((event) => {
        if (event.name === 'datasets.ingest-progress') setProgress(event.data.bytesRead / Math.max(1, event.data.totalBytes));
      }),
    [client],
  );

  const refresh = useCallback(async () => setDatasets(await client.call('datasets.list', {})), [client]);
  useEffect(() => {
    refresh().catch((e: unknown) => setError(describeError(e)));
  }, [refresh]);

  const open = async (dataset: string, version?: number): Promise<void> => {
    setSelected(dataset);
    try {
      const d = await client.call('datasets.version', version === undefined ? { name: dataset } : { name: dataset, version });
      setDetail(d);
      setVersions((await client.call('datasets.versions', { name: dataset })).map((v) => v.version));
      setQuarantine(await client.call('datasets.quarantine', { name: dataset, version: d.version, limit: 50 }));
    } catch (e) {
      setError(describeError(e));
    }
  };

  const [review, setReview] = useState<{
    uploadId: string;
    datasetName: string;
    fileName: string;
    rows: number;
    detections: PiiDetection[];
    choices: Record<string, PiiPolicy>;
  } | null>(null);

  const ingest = async (
    datasetName: string,
    uploadId: string,
    fileName: string,
    pii?: Record<string, { policy: PiiPolicy; type: PiiDetection['type'] | null }>,
  ): Promise<void> => {
    const result = await client.call('datasets.ingest', {
      name: datasetName,
      uploadId,
      fileName,
      ...(pii === undefined ? {} : { pii }),
    });
    setMessage(
      `Ingested ${result.rows} rows into ${result.dataset} v${result.version}${result.quarantined > 0 ? `; ${result.quarantined} rows quarantined` : ''}.`,
    );
    await refresh();
    await open(result.dataset, result.version);
  };

  /** Uploads, scans for personal data and either ingests at once (none found) or asks for a policy per column. */
  const upload = async (file: File): Promise<void> => {
    const datasetName =
      name.trim() ||
      file.name
        .replace(/\.[^.]+$/, '')
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') ||
      'dataset';
    setBusy(true);
    setProgress(null);
    setError(null);
    setMessage(null);
    setReview(null);
    try {
      const uploadId = await client.upload(file, file.name);
      const scan = await client.call('datasets.pii-scan', { uploadId, keepUpload: true, fileName: file.name });
      if (scan.detections.length === 0) await ingest(datasetName, uploadId, file.name);
      else
        setReview({
          uploadId,
          datasetName,
          fileName: file.name,
          rows: scan.rows,
          detections: scan.detections,
          choices: Object.fromEntries(scan.detections.map((d) => [d.column, d.suggested])),
        });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const confirmReview = async (): Promise<void> => {
    if (review === null) return;
    setBusy(true);
    setError(null);
    try {
      await ingest(
        review.datasetName,
        review.uploadId,
        review.fileName,
        Object.fromEntries(review.detections.map((d) => [d.column, { policy: review.choices[d.column]!, type: d.type }])),
      );
      setReview(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h2>Datasets</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const file = e.dataTransfer.files[0];
          if (file !== undefined) void upload(file);
        }}
      >
        <p>Drop a CSV, JSON, NDJSON or Parquet file here, or choose one.</p>
        <label>
          Dataset name{' '}
          <input
            data-testid="dataset-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="from the file name"
          />
        </label>
        <input
          type="file"
          accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.parquet,text/csv,application/json"
          data-testid="upload-input"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) void upload(file);
            e.target.value = '';
          }}
        />
        {busy && (
          <p>
            Reading… {progress !== null && <progress max={1} value={progress} />}{' '}
            {progress !== null && `${Math.round(progress * 100)}%`}
          </p>
        )}
      </div>
      {review !== null && (
        <div className="card" data-testid="pii-review">
          <h3>Personal data in {review.fileName}</h3>
          <p className="muted">
            Choose what happens to each column before anything is written: hashing keeps joins and categories (a keyed pseudonym),
            masking keeps the last four characters, generalising keeps a coarser value.
          </p>
          <table>
            <thead>
              <tr>
                <th>Column</th>
                <th>Looks like</th>
                <th>Confidence</th>
                <th>Policy</th>
              </tr>
            </thead>
            <tbody>
              {review.detections.map((d) => (
                <tr key={d.column} data-testid={`pii-${d.column}`}>
                  <td>{d.column}</td>
                  <td>{d.type}</td>
                  <td>{(d.confidence * 100).toFixed(0)}%</td>
                  <td>
                    <select
                      data-testid={`pii-policy-${d.column}`}
                      value={review.choices[d.column]}
                      onChange={(e) =>
                        setReview({ ...review, choices: { ...review.choices, [d.column]: e.target.value as PiiPolicy } })
                      }
                    >
                      {piiPolicies.map((p) => (
                        <option key={p} value={p}>
                          {p}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button data-testid="pii-ingest" disabled={busy} onClick={() => void confirmReview()}>
            Ingest {review.rows} rows into {review.datasetName} with these policies
          </button>
        </div>
      )}
      {message !== null && (
        <p className="ok" data-testid="ingest-message">
          {message}
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table data-testid="datasets-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Latest</th>
            <th>Rows</th>
            <th>Columns</th>
            <th>Versions</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {datasets.map((d) => (
            <tr key={d.name} className={d.name === selected ? 'selected' : ''} onClick={() => void open(d.name)}>
              <td>{d.name}</td>
              <td>v{d.latestVersion}</td>
              <td>{d.rows}</td>
              <td>{d.columns}</td>
              <td>{d.versions}</td>
              <td>{new Date(d.updatedAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {detail !== null && (
        <div data-testid="dataset-detail">
          <h3>
            {detail.dataset} v{detail.version}{' '}
            <select value={detail.version} onChange={(e) => void open(detail.dataset, Number(e.target.value))}>
              {versions.map((v) => (
                <option key={v} value={v}>
                  v{v}
                </option>
              ))}
            </select>
          </h3>
          <p className="muted">
            {detail.rows} rows · {detail.quarantined} quarantined · {detail.source.fileName} ·{' '}
            <code>{detail.contentHash.slice(0, 19)}…</code>
          </p>
          <div className="grid">
            {detail.profile.map((p) => (
              <ProfileCard key={p.name} profile={p} />
            ))}
          </div>
          <QualitySection key={`${detail.dataset}@${detail.version}`} dataset={detail.dataset} version={detail.version} />
          <LineageSection key={`lineage-${detail.dataset}@${detail.version}`} dataset={detail.dataset} />
          <DiffSection
            key={`diff-${detail.dataset}@${detail.version}`}
            dataset={detail.dataset}
            version={detail.version}
            versions={versions}
          />
          <PrivacySection dataset={detail.dataset} version={detail.version} columns={detail.profile.map((p) => p.name)} />
          {quarantine !== null && quarantine.total > 0 && (
            <>
              <h4>Quarantined rows ({quarantine.total})</h4>
              <table data-testid="quarantine-table">
                <thead>
                  <tr>
                    <th>Line</th>
                    <th>Reason</th>
                    <th>Content</th>
                  </tr>
                </thead>
                <tbody>
                  {quarantine.rows.map((q) => (
                    <tr key={q.line}>
                      <td>{q.line}</td>
                      <td>{q.reason}</td>
                      <td>
                        <code>{q.raw}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </section>
  );
}
