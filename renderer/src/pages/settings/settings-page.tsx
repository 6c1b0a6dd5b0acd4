import { useCallback, useEffect, useState } from 'react';
import type { AccelRuntime, ApiArgs, BackendsReport } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

const runtimes: { runtime: AccelRuntime; title: string; use: string }[] = [
  { runtime: 'tfjs', title: 'TensorFlow.js', use: 'trains the MLP' },
  { runtime: 'onnxruntime', title: 'ONNX Runtime', use: 'serves every model' },
  { runtime: 'gbdt', title: 'GBDT kernel', use: 'trains boosted trees and forests; every kernel grows the same trees' },
];

/**
 * Compute back ends, as `hearth doctor` reports them: what each runtime will use, what else works, and why the
 * rest do not; a pin per runtime (a software GPU adapter only runs when pinned). Admins pin; everyone may read.
 */
export function SettingsPage() {
  const client = useClient();
  const [report, setReport] = useState<BackendsReport | null>(null);
  const { message, error, run, fail } = useOutcome();
  const load = useCallback(
    (refresh: boolean) => {
      client.call('system.backends', { refresh }).then(setReport, fail);
    },
    [client, fail],
  );
  useEffect(() => load(false), [load]);
  const pin = (runtime: AccelRuntime, name: string) =>
    void run(async () => {
      const next = await client.call('system.pin-backend', {
        runtime,
        name: name === '' ? null : (name as ApiArgs<'system.pin-backend'>['name']),
      });
      setReport(next);
      const selected = next.backends.find((b) => b.runtime === runtime && b.status === 'selected');
      return name === ''
        ? `${runtime}: automatic choice (${selected?.name ?? 'none'}).`
        : `${runtime}: pinned ${name}; ${selected?.name === name ? 'it is selected' : `it cannot run, so ${selected?.name ?? 'nothing'} is used`}.`;
    });
  return (
    <section>
      <h2>Settings</h2>
      <h3>Compute back ends</h3>
      <p className="muted">
        {report === null ? 'Probing…' : `Probed ${new Date(report.probedAt).toLocaleString()}. `}A pin applies to the next
        training run and to each served model's next request.
      </p>
      <div className="toolbar">
        <button data-testid="backends-refresh" onClick={() => load(true)}>
          Probe again
        </button>
      </div>
      {report !== null &&
        runtimes.map(({ runtime, title, use }) => (
          <div key={runtime} data-testid={`backends-${runtime}`}>
            <h4>
              {title} <span className="muted">({use})</span>
            </h4>
            <table>
              <thead>
                <tr>
                  <th>Back end</th>
                  <th>Status</th>
                  <th>Device</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {report.backends
                  .filter((b) => b.runtime === runtime)
                  .map((b) => (
                    <tr key={b.name} data-testid={`backend-${runtime}-${b.name}`} data-status={b.status}>
                      <td>{b.name}</td>
                      <td className={b.status === 'unavailable' ? 'muted' : ''}>
                        {b.status === 'selected' ? <strong>selected</strong> : b.status}
                      </td>
                      <td>
                        {b.device ?? ''}
                        {b.software ? ' (software)' : ''}
                      </td>
                      <td>{b.reason}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
            <label>
              Pin{' '}
              <select
                data-testid={`backends-pin-${runtime}`}
                value={report.pins[runtime] ?? ''}
                onChange={(e) => pin(runtime, e.target.value)}
              >
                <option value="">automatic</option>
                {report.backends
                  .filter((b) => b.runtime === runtime)
                  .map((b) => (
                    <option key={b.name} value={b.name}>
                      {b.name}
                      {b.status === 'unavailable' ? ' (cannot run here)' : ''}
                    </option>
                  ))}
              </select>
            </label>
          </div>
        ))}
      <Outcome prefix="backends" message={message} error={error} />
    </section>
  );
}
