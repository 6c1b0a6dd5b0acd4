import { useState } from 'react';
import { signIn } from '../../../../main/contracts/client.js';
import { describeError } from '../../components/errors.js';

/** Signs in with an API token; the server answers with a session cookie and the page never stores the token. */
export function Login({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (): Promise<void> => {
    const outcome = await signIn(window.location.origin, token);
    if (outcome.ok) onSignedIn();
    else setError(describeError(outcome.error));
  };
  return (
    <main className="login" data-ready="true">
      <h1>Hearth</h1>
      <p>
        Enter an API token: the one printed when the server first started (or set with HEARTH_TOKEN), or one made with `hearth
        token create`.
      </p>
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
