import { Link, Redirect, Route, Router, Switch, useLocation } from 'wouter';
import { apiBase } from './lib/api.js';
import { can, type Role } from './lib/session.js';
import { useSession } from './lib/session-context.js';
import { Budgets } from './screens/Budgets.js';
import { Campaigns } from './screens/Campaigns.js';
import { Counter } from './screens/Counter.js';
import { CustomerDetail, Customers } from './screens/Customers.js';
import { Enrollment } from './screens/Enrollment.js';
import { Performance } from './screens/Performance.js';
import { Rewards } from './screens/Rewards.js';
import { Rules } from './screens/Rules.js';
import { SignIn } from './screens/SignIn.js';
import { Tenants } from './screens/Tenants.js';
import { Webhooks } from './screens/Webhooks.js';

interface Screen {
  path: string;
  label: string;
  allowed: (role: Role) => boolean;
}

/** The console's screens in menu order, each shown to the roles whose key may use it. */
const SCREENS: Screen[] = [
  { path: '/performance', label: 'Performance', allowed: can.analytics },
  { path: '/counter', label: 'Counter', allowed: can.counter },
  { path: '/customers', label: 'Customers', allowed: () => true },
  { path: '/rewards', label: 'Rewards', allowed: can.setupRead },
  { path: '/budgets', label: 'Budgets', allowed: can.setupRead },
  { path: '/campaigns', label: 'Campaigns', allowed: can.setupRead },
  { path: '/rules', label: 'Rules', allowed: can.setupRead },
  { path: '/webhooks', label: 'Webhooks', allowed: can.webhooks },
];

function Nav({ role }: { role: Role }) {
  const [location] = useLocation();
  return (
    <nav aria-label="Console">
      <ul>
        {SCREENS.filter((s) => s.allowed(role)).map((s) => (
          <li key={s.path}>
            <Link href={s.path} aria-current={location.startsWith(s.path) ? 'page' : undefined}>
              {s.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Shell() {
  const { session, setSession } = useSession();
  if (session === null) return <SignIn />;
  if (session.tenant === null) return <Tenants />;
  const role = session.role;
  const home = can.analytics(role) ? '/performance' : '/counter';
  return (
    <div className="shell">
      <header className="topbar">
        <strong className="brand">LaaS</strong>
        <span className="tenant">{session.tenant.name}</span>
        <span className="role">{role === 'platform' ? 'platform admin' : `${role} key`}</span>
        {role === 'platform' && (
          <button type="button" className="link" onClick={() => setSession({ ...session, tenant: null })}>
            Switch tenant
          </button>
        )}
        <button type="button" className="link" onClick={() => setSession(null)}>
          Sign out
        </button>
      </header>
      <Nav role={role} />
      <main id="main">
        <Switch>
          <Route path="/performance">{can.analytics(role) ? <Performance /> : <Redirect to={home} />}</Route>
          <Route path="/counter">{can.counter(role) ? <Counter /> : <Redirect to={home} />}</Route>
          <Route path="/customers/:id">{(params) => <CustomerDetail id={params.id} />}</Route>
          <Route path="/customers" component={Customers} />
          <Route path="/rewards">{can.setupRead(role) ? <Rewards /> : <Redirect to={home} />}</Route>
          <Route path="/budgets">{can.setupRead(role) ? <Budgets /> : <Redirect to={home} />}</Route>
          <Route path="/campaigns">{can.setupRead(role) ? <Campaigns /> : <Redirect to={home} />}</Route>
          <Route path="/rules" nest>
            {can.setupRead(role) ? <Rules /> : <Redirect to={home} />}
          </Route>
          <Route path="/webhooks">{can.webhooks(role) ? <Webhooks /> : <Redirect to={home} />}</Route>
          <Route>
            <Redirect to={home} />
          </Route>
        </Switch>
      </main>
    </div>
  );
}

export function App() {
  return (
    <Router base={`${apiBase}/console`}>
      <Switch>
        {/* Public: a customer opens it from a poster or a link; no credentials. */}
        <Route path="/join/:tid">{(params) => <Enrollment tenantId={params.tid} />}</Route>
        <Route>
          <Shell />
        </Route>
      </Switch>
    </Router>
  );
}
