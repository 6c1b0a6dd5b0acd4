import { useState } from 'react';
import type { IngestResult } from '../../../../main/contracts/api.js';
import { desktopBridge, desktopCall } from '../../app/ipc.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/**
 * A SQL query's rows (PostgreSQL, or another SQLite file) as a dataset's next version. A server does not connect where
 * a request says (it would reach past the box's own data), so over HTTP the section says how to do it instead of
 * offering a form that would be refused; the desktop app is the local user on the box, as the CLI is, and has the form.
 */
export function SqlSourceSection({ onIngested }: { onIngested: (dataset: string) => void }) {
  const bridge = desktopBridge();
  const [name, setName] = useState('');
  const [from, setFrom] = useState('');
  const [query, setQuery] = useState('');
  const [append, setAppend] = useState(false);
  const { message, error, run, busy } = useOutcome();
  return (
    <details data-testid="sql-source">
      <summary>From a SQL database</summary>
      {bridge === null ? (
        <p className="muted" data-testid="sql-source-note">
          SQL sources are refused over HTTP by design: the server does not connect where a request says. On the box, run{' '}
          <code>hearth ingest --from postgres://USER@HOST/DB --query &apos;SELECT …&apos; --dataset NAME</code> (or{' '}
          <code>--from sqlite:///PATH</code>), or use the desktop app, which reads them as the local user.
        </p>
      ) : (
        <form
          className="form"
          data-testid="sql-source-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              const result = await desktopCall<IngestResult>(bridge, {
                action: 'ingest-query',
                args: { name, from, query, ...(append ? { append: true } : {}) },
              });
              onIngested(result.dataset);
              return `Ingested ${result.rows} rows into ${result.dataset} v${result.version}.`;
            });
          }}
        >
          <label>
            Dataset name
            <input data-testid="sql-name" required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Source (postgres://USER@HOST/DB or sqlite:///PATH; a password comes from PGPASSWORD or ~/.pgpass)
            <input data-testid="sql-from" required value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            Query
            <textarea data-testid="sql-query" required rows={4} value={query} onChange={(e) => setQuery(e.target.value)} />
          </label>
          <label>
            <span>
              <input type="checkbox" data-testid="sql-append" checked={append} onChange={(e) => setAppend(e.target.checked)} />{' '}
              append to the latest version
            </span>
          </label>
          <button type="submit" data-testid="sql-ingest" disabled={busy}>
            Ingest
          </button>
        </form>
      )}
      <Outcome prefix="sql" message={message} error={error} />
    </details>
  );
}
