import { useCallback, useEffect, useState } from 'react';
import type { Alert, AlertKind, AlertRule } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

const kinds: { kind: AlertKind; label: string; hint: string }[] = [
  { kind: 'drift', label: 'Data drift', hint: 'share of drifted features, e.g. 0.5' },
  { kind: 'metric', label: 'Metric', hint: 'fires below it (above for rmse, mae), e.g. 0.8' },
  { kind: 'latency', label: 'Latency', hint: 'p99 in ms, e.g. 20' },
  { kind: 'error-rate', label: 'Error rate', hint: 'share of failed requests, e.g. 0.01' },
  { kind: 'validation', label: 'Validation failures', hint: 'share of requests failing validation, e.g. 0.01' },
  { kind: 'new-rows', label: 'New rows', hint: 'rows in the newest data beyond what production was trained on, e.g. 10000' },
];

/** Alerts (firing first, then past episodes), the rules behind them, and a form to add one. */
export function AlertsPage() {
  const client = useClient();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [models, setModels] = useState<string[]>([]);
  const [form, setForm] = useState({
    name: '',
    model: '',
    kind: 'drift' as AlertKind,
    threshold: '0.5',
    windowMinutes: '60',
    metric: 'roc_auc',
    source: 'realised' as 'realised' | 'estimated',
    webhook: '',
    retrain: false,
  });

  const outcome = useOutcome();
  const { message, error, fail } = outcome;
  const refresh = useCallback(() => {
    Promise.all([client.call('alerts.list', {}), client.call('alerts.rules', {}), client.call('models.list', {})]).then(
      ([a, r, m]) => {
        setAlerts(a);
        setRules(r);
        setModels(m.map((x) => x.name));
      },
      fail,
    );
  }, [client, fail]);
  // Every action ends with the page brought up to date.
  const run = (action: () => Promise<string>): Promise<void> => outcome.run(action).then(refresh);
  useEffect(() => {
    refresh();
    // An alert that fires or resolves anywhere (the schedule, another window) shows up at once.
    return client.on((event) => {
      if (event.name === 'alerts.changed') refresh();
    });
  }, [client, refresh]);

  const firing = alerts.filter((a) => a.status === 'firing');
  return (
    <section>
      <h2>Alerts</h2>
      <p data-testid="alerts-summary" className={firing.length > 0 ? 'error' : 'muted'}>
        {firing.length === 0 ? 'Nothing is firing.' : `${firing.length} firing.`} Rules are checked every minute.
      </p>
      <table data-testid="alerts-table">
        <thead>
          <tr>
            <th>State</th>
            <th>Rule</th>
            <th>What</th>
            <th>Since</th>
            <th>Webhook</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={a.id} data-testid={`alert-${a.rule}`}>
              <td className={a.status === 'firing' ? 'error' : ''}>{a.status}</td>
              <td>{a.rule}</td>
              <td>{a.message}</td>
              <td>
                {new Date(a.startedAt).toLocaleString()}
                {a.resolvedAt === null ? '' : ` – ${new Date(a.resolvedAt).toLocaleString()}`}
              </td>
              <td>{a.webhook.status ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Rules</h3>
      <table data-testid="rules-table">
        <tbody>
          {rules.map((r) => (
            <tr key={r.name} data-testid={`rule-${r.name}`}>
              <td>{r.name}</td>
              <td>
                {r.model}: {r.kind}
                {r.metric === null ? '' : ` (${r.source} ${r.metric})`} threshold {r.threshold} over {r.windowSeconds / 60} min
                {r.webhook === null ? '' : ` → ${r.webhook}`}
                {r.retrain ? ', retrains' : ''}
              </td>
              <td>
                <button
                  onClick={() =>
                    void run(async () => {
                      await client.call('alerts.remove-rule', { name: r.name });
                      return `Removed ${r.name}.`;
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="form">
        <h3>Add a rule</h3>
        <label>
          Name <input data-testid="rule-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label>
          Model{' '}
          <select data-testid="rule-model" value={form.model} onChange={(e) => setForm({ ...form, model: e.target.value })}>
            <option value="">choose…</option>
            {models.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          When{' '}
          <select
            data-testid="rule-kind"
            value={form.kind}
            onChange={(e) => setForm({ ...form, kind: e.target.value as AlertKind })}
          >
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        {form.kind === 'metric' && (
          <>
            <label>
              Metric <input value={form.metric} onChange={(e) => setForm({ ...form, metric: e.target.value })} />
            </label>
            <label>
              From{' '}
              <select
                value={form.source}
                onChange={(e) => setForm({ ...form, source: e.target.value as 'realised' | 'estimated' })}
              >
                <option value="realised">late labels</option>
                <option value="estimated">confidence (no labels)</option>
              </select>
            </label>
          </>
        )}
        <label>
          Threshold{' '}
          <input
            data-testid="rule-threshold"
            value={form.threshold}
            onChange={(e) => setForm({ ...form, threshold: e.target.value })}
            title={kinds.find((k) => k.kind === form.kind)?.hint}
          />
        </label>
        <label>
          Over the last (minutes){' '}
          <input value={form.windowMinutes} onChange={(e) => setForm({ ...form, windowMinutes: e.target.value })} />
        </label>
        <label>
          Webhook (optional){' '}
          <input value={form.webhook} onChange={(e) => setForm({ ...form, webhook: e.target.value })} placeholder="https://…" />
        </label>
        <label>
          <span>
            <input type="checkbox" checked={form.retrain} onChange={(e) => setForm({ ...form, retrain: e.target.checked })} />{' '}
            retrain when it fires (promoted only if better)
          </span>
        </label>
        <button
          data-testid="rule-add"
          onClick={() =>
            void run(async () => {
              const rule = await client.call('alerts.add-rule', {
                name: form.name.trim(),
                model: form.model,
                kind: form.kind,
                threshold: Number(form.threshold),
                windowSeconds: Math.round(Number(form.windowMinutes) * 60),
                ...(form.kind === 'metric' ? { metric: form.metric, source: form.source } : {}),
                ...(form.webhook.trim() === '' ? {} : { webhook: form.webhook.trim() }),
                retrain: form.retrain,
              });
              return `Added ${rule.name}.`;
            })
          }
        >
          Add
        </button>{' '}
        <button
          data-testid="alerts-check"
          onClick={() =>
            void run(async () => {
              const changed = await client.call('alerts.check', {});
              return changed.length === 0
                ? 'Checked: nothing changed.'
                : `Checked: ${changed.map((a) => `${a.rule} ${a.status}`).join(', ')}.`;
            })
          }
        >
          Check now
        </button>
      </div>
      <Outcome prefix="alerts" message={message} error={error} />
    </section>
  );
}
