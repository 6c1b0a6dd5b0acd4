import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, currentSession, httpTransport, signIn, signOut } from '../../main/contracts/client.js';
import { App } from './app/app.js';
import { ipcTransport } from './app/ipc.js';
import { Login } from './pages/login/login.js';
import { applyStoredTheme } from './components/theme-toggle.js';
import './styles.css';

applyStoredTheme();
const root = createRoot(document.getElementById('root')!);
const origin = window.location.origin;

/**
 * Picks the transport: the desktop bridge when the preload exposed one, else HTTP to the serving origin, signed in
 * with an HttpOnly session cookie the page's scripts never see. A token in the URL fragment `#token=…` (never sent
 * to a server) is exchanged for that cookie and removed from the address bar at once; otherwise the login form asks.
 */
async function boot(): Promise<void> {
  if (window.hearth !== undefined) {
    root.render(
      <StrictMode>
        <App client={createClient(ipcTransport(window.hearth))} onSignOut={null} />
      </StrictMode>,
    );
    return;
  }
  const fromHash = /(?:^#|&)token=([^&]+)/.exec(window.location.hash)?.[1];
  if (fromHash !== undefined) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
    await signIn(origin, decodeURIComponent(fromHash));
  }
  const session = await currentSession(origin);
  if (!session.ok) {
    root.render(
      <StrictMode>
        <Login onSignedIn={() => void boot()} />
      </StrictMode>,
    );
    return;
  }
  const client = createClient(httpTransport({ baseUrl: origin }));
  root.render(
    <StrictMode>
      <App client={client} onSignOut={() => void signOut(origin).then(boot)} />
    </StrictMode>,
  );
}

void boot();
