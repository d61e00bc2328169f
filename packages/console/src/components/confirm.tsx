import { type ReactNode, useEffect, useRef } from 'react';

/**
 * An inline confirmation: the question, then Confirm and Cancel. Its first control (an input to
 * type into, else the Confirm button) takes the focus when it appears; Escape cancels.
 */
export function Confirm({
  question,
  confirmLabel,
  onConfirm,
  onCancel,
  pending = false,
  danger = false,
  children,
}: {
  question: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  pending?: boolean;
  danger?: boolean;
  children?: ReactNode;
}) {
  const region = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    region.current?.querySelector<HTMLElement>('input, button:not([disabled])')?.focus();
  }, []);
  return (
    <fieldset
      ref={region}
      className="confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <legend className="confirm-question">{question}</legend>
      {children}
      <div className="actions">
        <button
          type="button"
          className={danger ? 'danger' : undefined}
          disabled={pending}
          onClick={onConfirm}
        >
          {confirmLabel}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}
