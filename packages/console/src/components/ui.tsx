import { type ReactNode, useId } from 'react';
import { ApiError } from '../lib/api.js';

/** The API's message for `field` of a failed request, if the failure names it. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.at(field) : undefined;
}

interface FieldProps {
  label: string;
  /** The request body path the API names in its errors (`name`, `limit`, `caps.0.max`). */
  field?: string;
  error?: unknown;
  hint?: string;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}

/** A labelled control with its hint and, after a failed request, the API's message at its field. */
export function Field({ label, field, error, hint, children }: FieldProps) {
  const id = useId();
  const message = field === undefined ? undefined : fieldError(error, field);
  const described = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-describedby': described || undefined,
        'aria-invalid': message ? true : undefined,
      })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {message && (
        <small id={`${id}-error`} className="field-error" role="alert">
          {message}
        </small>
      )}
    </div>
  );
}

/** A failed request's message (with its code), for errors that name no field of the form. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <p className="error" role="alert">
      {message}
      {code && <span className="code"> ({code})</span>}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A status line after an action ("Visit recorded"), announced to screen readers. */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="notice" role="status">
      {children}
    </p>
  );
}

export function Section({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="card">
      <header className="card-header">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
