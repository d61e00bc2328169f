import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, type ReactNode } from 'react';
import { ApiError, newIdempotencyKey, type Page } from '../lib/api.js';
import { can } from '../lib/session.js';
import { useTenant } from '../lib/session-context.js';
import { Section } from './ui.js';

/** What the set-up screens share: the lists they read, who may change them, local field errors. */

/** The API's entities as the set-up screens read them: the core's interfaces (JSON over the wire). */
export type { Budget, Campaign, Cap, CapWindow, Reward, Rule } from '@laas/core';

export interface RuleProblem {
  path: string;
  code: string;
  message: string;
  suggestion?: string;
}

/** One page of up to 200 (the API's most) of a set-up list: a tenant's catalog is that small. */
export function useList<T>(name: 'rewards' | 'budgets' | 'campaigns' | 'rules') {
  const { api } = useTenant();
  return useQuery({
    queryKey: [name],
    queryFn: () => api.get<Page<T>>(`/${name}`, { limit: 200 }),
  });
}

/**
 * A set-up form's save: POST with a new idempotency key for a new item, PATCH for an existing one;
 * then the list is read again and the form closes. `build` checks the form (throwing `invalid`) and
 * gives the body, plus what only a new item sends (what cannot change afterwards: type, unit…).
 */
export function useSaveItem<T>(
  list: 'rewards' | 'budgets' | 'campaigns',
  id: string | null,
  onDone: () => void,
  build: () => { body: object; created?: object },
) {
  const { api } = useTenant();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { body, created } = build();
      return id === null
        ? api.send<T>('POST', `/${list}`, { ...body, ...created }, newIdempotencyKey(list.slice(0, -1)))
        : api.send<T>('PATCH', `/${list}/${id}`, body);
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: [list] });
      onDone();
    },
  });
}

/** May this session change the programme (manager, admin, platform)? */
export function useCanWrite(): boolean {
  return can.setupWrite(useTenant().session.role);
}

/** A form's own refusal, shaped like the API's so `Field` shows it at its field. */
export function invalid(field: string, message: string): ApiError {
  return new ApiError(422, 'VALIDATION_ERROR', `${field}: ${message}`, {
    issues: [{ path: field, message }],
  });
}

export function ActiveBadge({ active }: { active: boolean }) {
  return <span className={`badge ${active ? 'ok' : 'warn'}`}>{active ? 'active' : 'inactive'}</span>;
}

/** `''` → null, else the trimmed text: the optional text inputs (durations). */
export function orNull(text: string): string | null {
  return text.trim() === '' ? null : text.trim();
}

/**
 * Where a set-up screen makes or edits an item, for a session that may: a "New …" button, or the
 * item's form in its own section, keyed by the item so that another one starts a fresh form.
 */
export function Editor<T extends { id: string; name: string }>({
  noun,
  editing,
  onEdit,
  children,
}: {
  noun: string;
  editing: T | 'new' | null;
  onEdit: (editing: 'new' | null) => void;
  children: (item: T | null, done: () => void) => ReactNode;
}) {
  if (!useCanWrite()) return null;
  if (editing === null) {
    return (
      <p>
        <button type="button" onClick={() => onEdit('new')}>
          New {noun}
        </button>
      </p>
    );
  }
  return (
    <Section title={editing === 'new' ? `New ${noun}` : `Edit ${editing.name}`}>
      <Fragment key={editing === 'new' ? 'new' : editing.id}>
        {children(editing === 'new' ? null : editing, () => onEdit(null))}
      </Fragment>
    </Section>
  );
}
