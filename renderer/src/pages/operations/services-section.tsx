import { useState } from 'react';
import type { ServicesStatus, WatchRecord } from '../../../../main/contracts/api.js';
import { desktopBridge, desktopCall } from '../../app/ipc.js';
import { Outcome, useOutcome } from '../../components/outcome.js';
import { AddStream } from './desktop-admin.js';

/** One watched file's outcome in words. */
function recordText(r: WatchRecord): string {
  if (r.kind === 'appended')
    return `appended${r.appended === null ? '' : ` ${r.appended} rows`} as v${r.version ?? '?'}${r.quarantined ? `, ${r.quarantined} quarantined` : ''}`;
  return `${r.kind}: ${r.message ?? ''}`;
}

/**
 * The config's MQTT streams and watched folders, read-only: both are set in the config file on the box (a caller
 * names no broker or folder; over HTTP a path is refused by design), and the server starts them.
 */
export function ServicesSection({
  status,
  desktop,
  onChanged,
}: {
  status: ServicesStatus;
  desktop: boolean;
  onChanged: () => void;
}) {
  const where = desktop
    ? 'the config file in the data folder (hearth.config.json), read when the app starts'
    : 'the config file on the box (hearth.config.json in the data folder), read when the server starts';
  return (
    <>
      <div data-testid="streams">
        <h3>Streams</h3>
        <p className="muted">
          MQTT topics whose JSON rows are answered with predictions. They are set in {where}; over HTTP no caller may name a
          broker (for a one-off, <code>hearth stream --mqtt URL --in TOPIC --out TOPIC --model NAME</code> on the box).
          {status.running ? '' : ' This process runs no services, so there are no counters.'}
        </p>
        {status.streams.length === 0 ? (
          <p data-testid="streams-none">No streams are configured.</p>
        ) : (
          <table data-testid="streams-table">
            <thead>
              <tr>
                <th>Topics</th>
                <th>Model</th>
                <th>Broker</th>
                <th>State</th>
                <th>Received</th>
                <th>Predicted</th>
                <th>Rejected</th>
                <th>Appended to</th>
              </tr>
            </thead>
            <tbody>
              {status.streams.map((st) => (
                <tr key={`${st.inTopic}:${st.model}`} data-testid={`stream-${st.inTopic}`}>
                  <td>
                    {st.inTopic} → {st.outTopic}
                  </td>
                  <td>{st.model}</td>
                  <td>{st.broker}</td>
                  <td data-testid={`stream-state-${st.inTopic}`}>
                    {st.stats === null
                      ? 'not running here'
                      : st.stats.connected
                        ? 'connected'
                        : `reconnecting${st.stats.lastError === null ? '' : ` (${st.stats.lastError})`}`}
                  </td>
                  <td>{st.stats?.received ?? ''}</td>
                  <td>{st.stats?.predicted ?? ''}</td>
                  <td>{st.stats?.rejected ?? ''}</td>
                  <td>
                    {st.dataset ?? ''}
                    {st.stats !== null && st.stats.datasetVersion !== null ? ` v${st.stats.datasetVersion}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {desktop && <AddStream onAdded={onChanged} />}
      </div>
      <div data-testid="watches">
        <h3>Watched folders</h3>
        <p className="muted" data-testid="watches-note">
          Each new file in a folder (CSV, JSON, NDJSON, Parquet) is appended once to its dataset, when it has stopped changing.
          Folders are paths on the box, which the API refuses over HTTP by design: add one in {where}, or run{' '}
          <code>hearth watch DIR --dataset NAME</code> there.{' '}
          {desktop
            ? 'Here in the desktop app, dropping CSV or Parquet files on the window ingests them at once.'
            : 'Rows a file could not use are on the dataset’s Quarantine tab.'}
        </p>
        {status.watches.length === 0 ? (
          <p data-testid="watches-none">No folders are watched.</p>
        ) : (
          status.watches.map((w) => (
            <div key={w.dir} className="card" data-testid={`watch-${w.dataset}`}>
              <p>
                <code>{w.dir}</code> → <strong>{w.dataset}</strong>, every {w.intervalSeconds} s
                {w.running ? '' : ' (not running in this process)'}
              </p>
              {w.recent.length === 0 ? (
                <p className="muted">Nothing taken yet.</p>
              ) : (
                <table data-testid={`watch-recent-${w.dataset}`}>
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>File</th>
                      <th>Outcome</th>
                    </tr>
                  </thead>
                  <tbody>
                    {w.recent.map((r) => (
                      <tr key={`${r.at}:${r.file}:${r.kind}`} data-kind={r.kind} className={r.kind === 'failed' ? 'error' : ''}>
                        <td>{new Date(r.at).toLocaleString()}</td>
                        <td>{r.file}</td>
                        <td>{recordText(r)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          ))
        )}
        {desktop && <AddWatch onAdded={onChanged} />}
        {status.pipelines.length > 0 && (
          <p className="muted" data-testid="schedules">
            Scheduled pipelines: {status.pipelines.map((p) => `${p.file} (${p.schedule})`).join(', ')}; their runs are on the
            Pipelines page.
          </p>
        )}
      </div>
    </>
  );
}

/**
 * The desktop app's way to add a watched folder: the folder is picked in a native dialog by the main process, which
 * adds it to the config file and restarts the engine (as `hearth serve` would be restarted after an edit).
 */
function AddWatch({ onAdded }: { onAdded: () => void }) {
  const [dataset, setDataset] = useState('');
  const [every, setEvery] = useState('5');
  const { message, error, run, busy } = useOutcome();
  const bridge = desktopBridge();
  if (bridge === null) return null;
  return (
    <div className="toolbar" data-testid="watch-add">
      <label>
        Dataset <input data-testid="watch-add-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} />
      </label>
      <label>
        Every (seconds){' '}
        <input data-testid="watch-add-interval" type="number" min={1} value={every} onChange={(e) => setEvery(e.target.value)} />
      </label>
      <button
        data-testid="watch-add-choose"
        disabled={busy || dataset === ''}
        onClick={() =>
          void run(async () => {
            const { added } = await desktopCall<{ added: { dir: string; dataset: string } | null }>(bridge, {
              action: 'add-watch',
              dataset,
              ...(Number(every) > 0 ? { intervalSeconds: Number(every) } : {}),
            });
            if (added === null) return 'No folder chosen.';
            setTimeout(onAdded, 1500);
            return `Watching ${added.dir} for ${added.dataset}; the engine restarted with it.`;
          })
        }
      >
        Choose a folder to watch…
      </button>
      <Outcome prefix="watch-add" message={message} error={error} />
    </div>
  );
}
