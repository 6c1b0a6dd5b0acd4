import type { BudgetReport } from '../../../../main/contracts/api.js';

/**
 * A run's wall time (against its time budget, if it had one) and its fit's: the seconds, and on opening, each phase
 * (load, prepare, search or cross-validation, fit, evaluate, refit, explain, export, parity, register) with its share
 * of the budget or of the wall time, and the decisions the budget forced (a refit skipped, an ensemble not kept).
 */
export function RunBudget({ id, durationMs, budget }: { id: string; durationMs: number | null; budget: BudgetReport | null }) {
  if (budget === null) return <>{durationMs === null ? '' : (durationMs / 1000).toFixed(1)}</>;
  const over = budget.withinBudget === false;
  // The fit's own seconds beside the whole job's: what the phases around it (evaluation, SHAP, export) add.
  const fitSeconds = budget.phases.filter((p) => p.phase === 'fit').reduce((s, p) => s + p.seconds, 0);
  return (
    <details data-testid={`run-budget-${id}`}>
      <summary className={over ? 'error' : undefined}>
        {budget.wallSeconds.toFixed(1)}
        {budget.budgetSeconds === null ? '' : ` of ${budget.budgetSeconds} s budget`}
        {fitSeconds > 0 ? ` (fit ${fitSeconds.toFixed(1)})` : ''}
      </summary>
      <table className="muted">
        <tbody>
          {budget.phases.map((p, i) => (
            <tr key={i}>
              <td>{p.phase}</td>
              <td>{p.seconds.toFixed(1)} s</td>
              <td>{(100 * p.share).toFixed(0)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
      {budget.notes.map((n, i) => (
        <p key={i} className="muted">
          {n}
        </p>
      ))}
    </details>
  );
}
