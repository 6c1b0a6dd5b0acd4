import { useEffect, useState } from 'react';
import type { SystemInfo } from '../../../main/contracts/api.js';
import type { Client } from '../../../main/contracts/client.js';
import { ClientContext } from './client-context.js';
import { DesktopShell } from './desktop-shell.js';
import { desktopBridge } from './ipc.js';
import { describeError } from '../components/errors.js';
import { ThemeToggle } from '../components/theme-toggle.js';
import { AccessPage } from '../pages/access/access-page.js';
import { AlertsPage } from '../pages/alerts/alerts-page.js';
import { CostsPage } from '../pages/costs/costs-page.js';
import { DatasetsPage } from '../pages/datasets/datasets-page.js';
import { ModelsPage } from '../pages/models/models-page.js';
import { OperationsPage } from '../pages/operations/operations-page.js';
import { OverviewPage } from '../pages/overview/overview-page.js';
import { PipelinesPage } from '../pages/pipelines/pipelines-page.js';
import { PredictPage } from '../pages/predict/predict-page.js';
import { RunsPage } from '../pages/runs/runs-page.js';
import { SettingsPage } from '../pages/settings/settings-page.js';
import { SyncPage } from '../pages/sync/sync-page.js';
import { TrainPage } from '../pages/train/train-page.js';

const pages = [
  'overview',
  'datasets',
  'pipelines',
  'train',
  'models',
  'runs',
  'costs',
  'predict',
  'alerts',
  'sync',
  'access',
  'operations',
  'settings',
] as const;
type Page = (typeof pages)[number];

export function App({ client, onSignOut }: { client: Client; onSignOut: (() => void) | null }) {
  // A model page's address (#models/<model>/<tab>, which that page keeps current) opens it on a reload or a link.
  const [page, setPage] = useState<Page>(
    window.location.hash.startsWith('#models/') ? 'models' : window.location.hash === '#costs' ? 'costs' : 'overview',
  );
  // The item a link opened a page on (a model or dataset name); cleared when the page is chosen from the menu.
  const [focus, setFocus] = useState<string | undefined>(undefined);
  const open = (target: { page: Page; item?: string | undefined }) => {
    setFocus(target.item);
    setPage(target.page);
    // Leaving the Costs page drops its address, so a reload opens where the user went.
    if (target.page !== 'costs' && window.location.hash === '#costs') history.replaceState(null, '', ' ');
  };
  // Back or Forward to a model page's address from another page opens the models page on it.
  useEffect(() => {
    const onPop = () => {
      if (window.location.hash.startsWith('#models/')) setPage('models');
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const [info, setInfo] = useState<SystemInfo | null>(null);
  // The desktop app's bridge (drops, the menu's commands); null in a browser.
  const bridge = desktopBridge();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.call('system.info', {}).then(setInfo, (e: unknown) => setError(describeError(e)));
  }, [client]);
  return (
    <ClientContext.Provider value={client}>
      <div className="app" data-ready={info !== null ? 'true' : 'false'}>
        <header>
          <strong>Hearth</strong>
          <nav>
            {pages.map((p) => (
              <button key={p} className={p === page ? 'active' : ''} data-testid={`nav-${p}`} onClick={() => open({ page: p })}>
                {p[0]!.toUpperCase() + p.slice(1)}
              </button>
            ))}
          </nav>
          {info?.mode === 'replica' && (
            <span
              className="tag"
              data-testid="replica-badge"
              title="This server follows the models of a central box and changes nothing here: train, ingest and promote there."
            >
              Replica · read-only
            </span>
          )}
          <span className="muted">{info === null ? '' : `v${info.version} · ONNX Runtime ${info.onnxRuntime.version}`}</span>
          <ThemeToggle />
          {onSignOut !== null && <button onClick={onSignOut}>Sign out</button>}
        </header>
        {error !== null && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {bridge !== null && <DesktopShell bridge={bridge} onIngested={(dataset) => open({ page: 'datasets', item: dataset })} />}
        <main>
          {page === 'overview' && <OverviewPage onOpen={open} />}
          {page === 'datasets' && <DatasetsPage key={focus ?? ''} initial={focus} />}
          {page === 'pipelines' && <PipelinesPage />}
          {page === 'train' && <TrainPage onTrained={() => setPage('models')} />}
          {page === 'models' && <ModelsPage key={focus ?? ''} initial={focus} />}
          {page === 'runs' && <RunsPage />}
          {page === 'costs' && <CostsPage />}
          {page === 'alerts' && <AlertsPage />}
          {page === 'sync' && <SyncPage />}
          {page === 'predict' && <PredictPage />}
          {page === 'access' && <AccessPage />}
          {page === 'operations' && <OperationsPage />}
          {page === 'settings' && <SettingsPage />}
        </main>
      </div>
    </ClientContext.Provider>
  );
}
