import type { ServicesStatus, WatchRecord } from '../../../../main/contracts/api.js';

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
export function ServicesSection({ status, desktop }: { status: ServicesStatus; desktop: boolean }) {
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
