import { createContext, useContext, useEffect, useState } from 'react';
import type { SystemInfo } from '../../main/contracts/api.js';
import type { Client } from '../../main/contracts/client.js';
import { describeError } from './errors.js';
import { AccessPage } from './pages/AccessPage.js';
import { AlertsPage } from './pages/AlertsPage.js';
import { DatasetsPage } from './pages/DatasetsPage.js';
import { ModelsPage } from './pages/ModelsPage.js';
import { PipelinesPage } from './pages/PipelinesPage.js';
import { PredictPage } from './pages/PredictPage.js';
import { RunsPage } from './pages/RunsPage.js';
import { SettingsPage } from './pages/SettingsPage.js';
import { SyncPage } from './pages/SyncPage.js';
import { TrainPage } from './pages/TrainPage.js';

const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const client = useContext(ClientContext);
  if (client === null) throw new Error('no client');
  return client;
}

const pages = ['datasets', 'pipelines', 'train', 'models', 'runs', 'predict', 'alerts', 'sync', 'access', 'settings'] as const;
type Page = (typeof pages)[number];

export function App({ client, onSignOut }: { client: Client; onSignOut: (() => void) | null }) {
  const [page, setPage] = useState<Page>('datasets');
  const [info, setInfo] = useState<SystemInfo | null>(null);
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
              <button key={p} className={p === page ? 'active' : ''} data-testid={`nav-${p}`} onClick={() => setPage(p)}>
                {p[0]!.toUpperCase() + p.slice(1)}
              </button>
            ))}
          </nav>
          <span className="muted">{info === null ? '' : `v${info.version} · ONNX Runtime ${info.onnxRuntime.version}`}</span>
          {onSignOut !== null && <button onClick={onSignOut}>Sign out</button>}
        </header>
        {error !== null && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <main>
          {page === 'datasets' && <DatasetsPage />}
          {page === 'pipelines' && <PipelinesPage />}
          {page === 'train' && <TrainPage onTrained={() => setPage('models')} />}
          {page === 'models' && <ModelsPage />}
          {page === 'runs' && <RunsPage />}
          {page === 'alerts' && <AlertsPage />}
          {page === 'sync' && <SyncPage />}
          {page === 'predict' && <PredictPage />}
          {page === 'access' && <AccessPage />}
          {page === 'settings' && <SettingsPage />}
        </main>
      </div>
    </ClientContext.Provider>
  );
}
