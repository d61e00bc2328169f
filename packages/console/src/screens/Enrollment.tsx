import { useQuery } from '@tanstack/react-query';
import { ApiError, apiBase, request } from '../lib/api.js';

interface EnrollmentPage {
  name: string;
  whatsapp: { url: string; text: string; qr_svg: string } | null;
  rules: Array<{ name: string; reward: string; summary: string }>;
}

/**
 * The public enrollment page of a tenant (/console/join/<tenant id>): how to join on WhatsApp (the
 * link and its QR code) and the programme's rules in plain words. No credentials: it shows only
 * what GET /public/tenants/:tid/enrollment answers, and only when the tenant turned the page on.
 */
export function Enrollment({ tenantId }: { tenantId: string }) {
  const page = useQuery({
    queryKey: ['enrollment', tenantId],
    queryFn: () =>
      request<EnrollmentPage>(null, `/public/tenants/${encodeURIComponent(tenantId)}/enrollment`),
  });
  if (page.isPending) {
    return (
      <main id="main" className="join">
        <p aria-live="polite">Loading…</p>
      </main>
    );
  }
  if (page.error) {
    const missing = page.error instanceof ApiError && page.error.status === 404;
    return (
      <main id="main" className="join">
        <h1>{missing ? 'No such programme' : 'This page could not be loaded'}</h1>
        <p>
          {missing ? 'This loyalty programme has no public page. Ask at the counter.' : page.error.message}
        </p>
      </main>
    );
  }
  const { name, whatsapp, rules } = page.data;
  return (
    <main id="main" className="join">
      <h1>Join {name}’s rewards</h1>
      {whatsapp ? (
        <section aria-labelledby="join-whatsapp">
          <h2 id="join-whatsapp">Join on WhatsApp</h2>
          <p>
            Scan the code with your phone’s camera, or{' '}
            <a href={whatsapp.url} rel="noopener noreferrer">
              open WhatsApp
            </a>{' '}
            and send <strong>{whatsapp.text}</strong>.
          </p>
          <img
            className="qr"
            src={`${apiBase}${whatsapp.qr_svg}`}
            alt={`QR code that opens WhatsApp with “${whatsapp.text}”`}
            width={240}
            height={240}
          />
        </section>
      ) : (
        <p>Ask at the counter to join.</p>
      )}
      <section aria-labelledby="join-rules">
        <h2 id="join-rules">How you earn</h2>
        {rules.length === 0 ? (
          <p>The programme’s rewards are being set up.</p>
        ) : (
          <ul className="rules">
            {rules.map((r) => (
              <li key={r.name}>
                <strong>{r.name}</strong>: {r.summary}
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
