import type { ButtonHTMLAttributes, ReactNode } from 'react';

type Props = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick'> & {
  /** What the button starts; it reports its own outcome (through `useCall` or `useOutcome`). */
  action: () => Promise<unknown>;
  /** Disables the button while a call runs. */
  busy?: boolean;
  /** Shown instead of the label while busy, when given. */
  busyLabel?: ReactNode;
};

/** A button that starts an async action, disabled (and optionally relabelled) while it runs. */
export function ActionButton({ action, busy = false, busyLabel, disabled = false, children, ...rest }: Props) {
  return (
    <button {...rest} disabled={disabled || busy} onClick={() => void action()}>
      {busy && busyLabel !== undefined ? busyLabel : children}
    </button>
  );
}
