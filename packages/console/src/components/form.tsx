import { type FormHTMLAttributes, type ReactNode, useId } from 'react';
import { ErrorMessage, Field } from './ui.js';

/** A form whose submit calls `onSubmit` instead of loading a page. */
export function SubmitForm({
  onSubmit,
  ...rest
}: { onSubmit: () => void } & Omit<FormHTMLAttributes<HTMLFormElement>, 'onSubmit'>) {
  return (
    <form
      {...rest}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    />
  );
}

/** The end of a form: its submit button (off while the request runs), "Cancel", and the failure. */
export function FormFooter({
  submit,
  pending,
  error,
  onCancel,
  cancel = 'Cancel',
}: {
  submit: ReactNode;
  pending: boolean;
  error: unknown;
  onCancel?: () => void;
  cancel?: string;
}) {
  return (
    <>
      <div className="actions">
        <button type="submit" disabled={pending}>
          {submit}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            {cancel}
          </button>
        )}
      </div>
      <ErrorMessage error={error} />
    </>
  );
}

/** A checkbox with its label after it (`Field` puts the label above, which suits text boxes only). */
export function CheckboxField({
  label,
  checked,
  onChange,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

/** A date and time in the tenant's zone (`isoToLocalInput`/`localInputToIso` convert). */
export function DateTimeField({
  label,
  field,
  error,
  hint,
  value,
  onChange,
}: {
  label: string;
  field: string;
  error: unknown;
  hint: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} field={field} error={error} hint={hint}>
      {(p) => <input {...p} type="datetime-local" value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

/** A choice of one of the tenant's budgets, campaigns…, or none (`''`). */
export function OptionalSelect({
  label,
  field,
  error,
  hint,
  value,
  onChange,
  options,
}: {
  label: string;
  field: string;
  error: unknown;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ id: string; label: string }>;
}) {
  return (
    <Field label={label} field={field} error={error} hint={hint}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">none</option>
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
