import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { SubmitForm } from '../components/form.js';
import { ErrorMessage, Field, Loading, Notice, Section } from '../components/ui.js';
import { type Page, request } from '../lib/api.js';
import type { Tenant } from '../lib/session.js';
import { useSession } from '../lib/session-context.js';

/**
 * The platform admin's first screen: create a tenant and its first API key, or open a tenant to
 * work in it with the platform token.
 */
export function Tenants() {
  const { session, setSession } = useSession();
  const token = session?.token ?? null;
  const queryClient = useQueryClient();
  const tenants = useQuery({
    queryKey: ['tenants'],
    queryFn: () => request<Page<Tenant>>(token, '/v1/tenants', { query: { limit: 100 } }),
  });
  const [name, setName] = useState('');
  const [timezone, setTimezone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [currency, setCurrency] = useState('USD');
  const [keyRole, setKeyRole] = useState('admin');
  const [created, setCreated] = useState<{ tenant: Tenant; key: string } | null>(null);
  const create = useMutation({
    mutationFn: async () => {
      const tenant = await request<Tenant>(token, '/v1/tenants', {
        method: 'POST',
        body: { name, timezone, settings: { currency } },
      });
      const key = await request<{ key: string }>(token, `/v1/tenants/${tenant.id}/api-keys`, {
        method: 'POST',
        body: { name: `${keyRole} (console)`, role: keyRole },
      });
      return { tenant, key: key.key };
    },
    onSuccess: (result) => {
      setCreated(result);
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['tenants'] });
    },
  });
  if (session === null) return null;
  return (
    <div className="shell">
      <header className="topbar">
        <strong className="brand">LaaS</strong>
        <span className="role">platform admin</span>
        <button type="button" className="link" onClick={() => setSession(null)}>
          Sign out
        </button>
      </header>
      <main id="main">
        <h1>Tenants</h1>
        <Section title="Create a tenant and its first key">
          <SubmitForm onSubmit={() => create.mutate()}>
            <Field label="Name" field="name" error={create.error}>
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
            </Field>
            <Field
              label="Time zone"
              field="timezone"
              error={create.error}
              hint="IANA name, e.g. Africa/Accra"
            >
              {(p) => (
                <input {...p} value={timezone} onChange={(e) => setTimezone(e.target.value)} required />
              )}
            </Field>
            <Field
              label="Currency"
              field="settings.currency"
              error={create.error}
              hint="ISO 4217 code, e.g. GHS"
            >
              {(p) => (
                <input
                  {...p}
                  value={currency}
                  onChange={(e) => setCurrency(e.target.value.toUpperCase())}
                  required
                />
              )}
            </Field>
            <Field label="Role of the first key" field="role" error={create.error}>
              {(p) => (
                <select {...p} value={keyRole} onChange={(e) => setKeyRole(e.target.value)}>
                  <option value="admin">admin</option>
                  <option value="manager">manager</option>
                  <option value="pos">pos</option>
                  <option value="viewer">viewer</option>
                </select>
              )}
            </Field>
            <button type="submit" disabled={create.isPending}>
              Create tenant
            </button>
            <ErrorMessage error={create.error} />
          </SubmitForm>
          {created && (
            <Notice>
              Created {created.tenant.name}. Its key, shown once:{' '}
              <code className="secret" data-testid="new-key">
                {created.key}
              </code>
            </Notice>
          )}
        </Section>
        <Section title="All tenants">
          {tenants.isPending && <Loading what="tenants" />}
          <ErrorMessage error={tenants.error} />
          {tenants.data && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Time zone</th>
                  <th scope="col">Currency</th>
                  <th scope="col">
                    <span className="visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.items.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td>{t.timezone}</td>
                    <td>{t.settings.currency}</td>
                    <td>
                      <button type="button" onClick={() => setSession({ ...session, tenant: t })}>
                        Open {t.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      </main>
    </div>
  );
}
