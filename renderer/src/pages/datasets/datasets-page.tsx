import { useCallback, useEffect, useState } from 'react';
import type { DatasetSummary, DatasetVersionDetail, QuarantinedRow } from '../../../../main/contracts/api.js';
import type { PiiDetection, PiiPolicy } from '../../../../main/contracts/pii.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';
import { SearchBox, SortHeader, useListView, type SortColumn } from '../../components/list-view.js';
import { DiffSection } from './diff-section.js';
import { LineageSection } from './lineage-section.js';
import { PiiReview, type PendingReview } from './pii-review.js';
import { SqlSourceSection } from './sql-source-section.js';
import { PrivacySection } from './privacy-section.js';
import { ProfileCard } from './profile-card.js';
import { QualitySection } from './quality-section.js';
import { UnparsableCellsTable } from './unparsable-cells.js';

const datasetColumns: SortColumn<DatasetSummary>[] = [
  { key: 'name', value: (d) => d.name },
  { key: 'latest', value: (d) => d.latestVersion },
  { key: 'rows', value: (d) => d.rows },
  { key: 'columns', value: (d) => d.columns },
  { key: 'versions', value: (d) => d.versions },
  { key: 'updated', value: (d) => d.updatedAt },
];
const datasetText = (d: DatasetSummary): string => d.name;

/** Data sets: upload (with a personal-data review), the list, and a version's profile, quality, lineage and privacy. */
export function DatasetsPage({ initial }: { initial?: string | undefined } = {}) {
  const client = useClient();
  const [datasets, setDatasets] = useState<DatasetSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(initial ?? null);
  const [detail, setDetail] = useState<DatasetVersionDetail | null>(null);
  const [versions, setVersions] = useState<number[]>([]);
  const [quarantine, setQuarantine] = useState<{ total: number; rows: QuarantinedRow[] } | null>(null);
  const [name, setName] = useState('');
  const [force, setForce] = useState(false);
  const { busy, error, run, fail } = useCall();
  const list = useListView(datasets, datasetText, datasetColumns);
  const [message, setMessage] = useState<string | null>(null);
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
    refresh().catch(fail);
  }, [refresh, fail]);

  // Opening a version is not an action: it neither marks the page busy nor clears an earlier error.
  const open = async (dataset: string, version?: number): Promise<void> => {
    setSelected(dataset);
    try {
      const d = await client.call('datasets.version', version === undefined ? { name: dataset } : { name: dataset, version });
      setDetail(d);
      setVersions((await client.call('datasets.versions', { name: dataset })).map((v) => v.version));
      setQuarantine(await client.call('datasets.quarantine', { name: dataset, version: d.version, limit: 50 }));
    } catch (e) {
      fail(e);
    }
  };

  const [review, setReview] = useState<PendingReview | null>(null);

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
      ...(force ? { force: true } : {}),
    });
    const unparsable = result.unparsable?.total ?? 0;
    setMessage(
      result.unchanged === true
        ? `Unchanged: ${result.dataset} v${result.version} already holds this file (same bytes and options); no version was made. Tick "new version even if unchanged" to make one.`
        : `Ingested ${result.rows} rows into ${result.dataset} v${result.version}${result.quarantined > 0 ? `; ${result.quarantined} rows quarantined` : ''}${unparsable > 0 ? `; ${unparsable} cells did not parse and were read as missing (listed below)` : ''}.`,
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
    await run(async () => {
      setProgress(null);
      setMessage(null);
      setReview(null);
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
    });
  };

  const confirmReview = async (): Promise<void> => {
    if (review === null) return;
    await run(async () => {
      await ingest(
        review.datasetName,
        review.uploadId,
        review.fileName,
        Object.fromEntries(review.detections.map((d) => [d.column, { policy: review.choices[d.column]!, type: d.type }])),
      );
      setReview(null);
    });
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
        </label>{' '}
        <label title="Also accepts a schema that narrows a column's type">
          <input type="checkbox" data-testid="ingest-force" checked={force} onChange={(e) => setForce(e.target.checked)} /> new
          version even if unchanged
        </label>
        <input
          type="file"
          accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.parquet,text/csv,application/json"
          data-testid="upload-input"
          aria-label="Data file to ingest"
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
      <SqlSourceSection
        onIngested={(dataset) => {
          refresh()
            .then(() => open(dataset))
            .catch(fail);
        }}
      />
      {review !== null && (
        <PiiReview
          review={review}
          busy={busy}
          onChoose={(column, policy) => setReview({ ...review, choices: { ...review.choices, [column]: policy } })}
          onConfirm={() => void confirmReview()}
        />
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
      <div className="list-tools">
        <SearchBox
          testId="datasets"
          label="Search datasets by name"
          value={list.query}
          onChange={list.setQuery}
          shown={list.shown.length}
          total={datasets.length}
        />
      </div>
      <table data-testid="datasets-table">
        <thead>
          <tr>
            {(
              [
                ['name', 'Name'],
                ['latest', 'Latest'],
                ['rows', 'Rows'],
                ['columns', 'Columns'],
                ['versions', 'Versions'],
                ['updated', 'Updated'],
              ] as const
            ).map(([key, label]) => (
              <SortHeader key={key} label={label} column={key} sort={list.sort} onSort={list.toggle} testId="datasets" />
            ))}
          </tr>
        </thead>
        <tbody>
          {list.shown.map((d) => (
            <tr
              key={d.name}
              data-testid={`dataset-row-${d.name}`}
              className={d.name === selected ? 'selected' : ''}
              onClick={() => void open(d.name)}
            >
              <td>
                {/* The row opens on a click; the button makes it reachable by keyboard too (its click reaches the row). */}
                <button type="button" className="link" aria-current={d.name === selected ? 'true' : undefined}>
                  {d.name}
                </button>
              </td>
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
            <select
              aria-label="Dataset version"
              value={detail.version}
              onChange={(e) => void open(detail.dataset, Number(e.target.value))}
            >
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
          {detail.source.unparsable !== undefined && <UnparsableCellsTable unparsable={detail.source.unparsable} />}
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
