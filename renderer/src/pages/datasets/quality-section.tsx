import { useCallback, useEffect, useState } from 'react';
import type { ApiArgs, RulesCheck } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { saveFile } from '../../components/download.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/**
 * Data quality: the version checked against the dataset's rules (what failed, how many rows, how severe), and the
 * rules themselves as JSON, suggested from this version and edited before saving.
 */
export function QualitySection({ dataset, version }: { dataset: string; version: number }) {
  const client = useClient();
  const [check, setCheck] = useState<RulesCheck | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const { message, error, run, fail } = useOutcome();
  const load = useCallback(() => {
    client.call('rules.check', { name: dataset, version }).then(setCheck, fail);
  }, [client, dataset, version, fail]);
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
