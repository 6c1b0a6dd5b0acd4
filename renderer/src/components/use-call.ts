import { useCallback, useState } from 'react';
import { describeError } from './errors.js';

/** What `useCall` hands a component: whether a call is running, its error in plain words, and the two ways in. */
export interface Call {
  busy: boolean;
  error: string | null;
  setError: (error: string | null) => void;
  /**
   * Runs an action: busy meanwhile, the last error cleared first and the new one kept in plain words. Never rejects:
   * it resolves to the action's result, or to undefined when the action failed.
   */
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
  /** Keeps a failed load's error (for `promise.then(set, fail)`). */
  fail: (e: unknown) => void;
}

/** The load / error / busy dance every page repeated, once. */
export function useCall(): Call {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fail = useCallback((e: unknown) => setError(describeError(e)), []);
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (e) {
      setError(describeError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run, fail };
}
