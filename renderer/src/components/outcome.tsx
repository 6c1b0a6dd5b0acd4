import { useState } from 'react';
import { useCall } from './use-call.js';

/**
 * What a page's buttons share: run an action and keep its one-line outcome, or its error in plain words.
 * `Outcome` renders both under the test ids `<prefix>-message` and `<prefix>-error`.
 */
export function useOutcome() {
  const [message, setMessage] = useState<string | null>(null);
  const { busy, error, setError, run: call, fail } = useCall();
  const run = async (action: () => Promise<string>): Promise<void> => {
    setMessage(null);
    const outcome = await call(action);
    if (outcome !== undefined) setMessage(outcome);
  };
  return { message, busy, error, setError, run, fail };
}

export function Outcome({ prefix, message, error }: { prefix: string; message: string | null; error: string | null }) {
  return (
    <>
      {message !== null && <p data-testid={`${prefix}-message`}>{message}</p>}
      {error !== null && (
        <p className="error" data-testid={`${prefix}-error`}>
          {error}
        </p>
      )}
    </>
  );
}
