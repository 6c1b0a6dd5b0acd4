import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, httpTransport } from '../../main/contracts/client.js';
import { App } from './App.js';
import { ipcTransport } from './ipc.js';
import { Login } from './pages/Login.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

/**
 * Picks the transport: the desktop bridge when the preload exposed one, else HTTP to the serving origin.
 * Over HTTP the token comes from the URL fragment `#token=…` (never sent to a server, and removed from the address
 * bar at once), else from this tab's session storage, else from the login form.
 */
function boot(): void {
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
    sessionStorage.setItem('hearth.token', decodeURIComponent(fromHash));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  const token = sessionStorage.getItem('hearth.token');
  if (token === null) {
    root.render(
      <StrictMode>
        <Login
          onToken={(t) => {
            sessionStorage.setItem('hearth.token', t);
            boot();
          }}
        />
      </StrictMode>,
    );
    return;
  }
  const client = createClient(httpTransport({ baseUrl: window.location.origin, token }));
  const signOut = (): void => {
    sessionStorage.removeItem('hearth.token');
    boot();
  };
  root.render(
    <StrictMode>
      <App client={client} onSignOut={signOut} />
    </StrictMode>,
  );
}

boot();
