import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { SubmitForm } from '../components/form.js';
import { ErrorMessage, Field } from '../components/ui.js';
import { request } from '../lib/api.js';
import type { Role, Tenant } from '../lib/session.js';
import { useSession } from '../lib/session-context.js';

interface Whoami {
  kind: 'platform' | 'api-key' | 'jwt';
  role: Role;
  tenant: Tenant | null;
}

/** Sign in with an API key (or the platform admin token): GET /v1/whoami says whose it is. */
export function SignIn() {
  const { setSession } = useSession();
  const [token, setToken] = useState('');
  const signIn = useMutation({
    mutationFn: (value: string) => request<Whoami>(value, '/v1/whoami'),
    onSuccess: (me, value) => setSession({ token: value, role: me.role, tenant: me.tenant }),
  });
  return (
    <main id="main" className="sign-in">
      <h1>LaaS console</h1>
      <p>
        Sign in with your API key. An admin or manager key sets up the programme; a pos key runs the counter.
      </p>
      <SubmitForm onSubmit={() => signIn.mutate(token.trim())}>
        <Field
          label="API key or platform admin token"
          hint="Kept in this browser tab only, until you sign out or close it."
        >
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              required
            />
          )}
        </Field>
        <button type="submit" disabled={signIn.isPending || token.trim() === ''}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorMessage error={signIn.error} />
      </SubmitForm>
    </main>
  );
}
