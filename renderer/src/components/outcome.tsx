import { useState } from 'react';
import { describeError } from './errors.js';

/**
 * What a page's buttons share: run an action and keep its one-line outcome, or its error in plain words.
 * `Outcome` renders both under the test ids `<prefix>-message` and `<prefix>-error`.
 */
export function useOutcome() {
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<string>): Promise<void> => {
    setError(null);
    setMessage(null);
    try {
      setMessage(await action());
    } catch (e) {
      setError(describeError(e));
    }
  };
  return { message, error, setError, run };
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
