import type { BudgetReport } from '../../../../main/contracts/api.js';

/**
 * A run's wall time against its time budget: the seconds, and on opening, each phase with its share of the budget
 * and the decisions the budget forced (a refit skipped, an ensemble not kept).
 */
export function RunBudget({ id, durationMs, budget }: { id: string; durationMs: number | null; budget: BudgetReport | null }) {
  if (budget === null) return <>{durationMs === null ? '' : (durationMs / 1000).toFixed(1)}</>;
  const over = budget.withinBudget === false;
  return (
    <details data-testid={`run-budget-${id}`}>
      <summary className={over ? 'error' : undefined}>
        {budget.wallSeconds.toFixed(1)}
        {budget.budgetSeconds === null ? '' : ` of ${budget.budgetSeconds} s budget`}
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
