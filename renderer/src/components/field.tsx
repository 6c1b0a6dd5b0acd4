import type { ReactNode } from 'react';

/** The message under a field that names it: what the form or the server said is wrong with this input. */
export function FieldError({ testId, message }: { testId: string; message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <span className="error field-error" role="alert" id={`${testId}-error`} data-testid={`${testId}-error`}>
      {message}
    </span>
  );
}

/**
 * A labelled text input with a hint (what it takes) and the error that names it; aria-invalid and
 * aria-describedby tie the message to the input for assistive technology.
 */
export function TextField({
  label,
  testId,
  value,
  onChange,
  error,
  hint,
  placeholder,
  type = 'text',
  numeric = false,
}: {
  label: ReactNode;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  placeholder?: string | undefined;
  type?: 'text' | 'date';
  /** Asks a touch keyboard for digits; the text is still checked by the form. */
  numeric?: boolean;
}) {
  return (
    <label>
      {label}{' '}
      <input
        type={type}
        data-testid={testId}
        value={value}
        placeholder={placeholder}
        inputMode={numeric ? 'decimal' : undefined}
        aria-invalid={error !== undefined}
        aria-describedby={error !== undefined ? `${testId}-error` : hint !== undefined ? `${testId}-hint` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint !== undefined && (
        <span className="muted" id={`${testId}-hint`} data-testid={`${testId}-hint`}>
          {hint}
        </span>
      )}
      <FieldError testId={testId} message={error} />
    </label>
  );
}
