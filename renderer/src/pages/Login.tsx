import { useState } from 'react';
import { createClient, httpTransport } from '../../../main/contracts/client.js';
import { describeError } from '../errors.js';

export function Login({ onToken }: { onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (): Promise<void> => {
    try {
      await createClient(httpTransport({ baseUrl: window.location.origin, token })).call('system.info', {});
      onToken(token);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <main className="login" data-ready="true">
      <h1>Hearth</h1>
      <p>Enter the API token printed when the server first started (or set with HEARTH_TOKEN).</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input type="password" aria-label="API token" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        <button type="submit">Sign in</button>
      </form>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
