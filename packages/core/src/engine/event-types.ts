import { closest } from '@laas/rules';
import { REFUND_EVENT_TYPES } from '../domain/refund.js';
import type { Rule } from '../domain/rule.js';
import type { Tenant, TenantSettings } from '../domain/tenant.js';
import { UnprocessableInputError } from '../errors.js';
import type { Tx } from '../ports/store.js';
import type { TenantConfig } from './config-cache.js';
import type { IngestWarning } from './types.js';

/** The types the worker ingests itself (scheduled events): accepted whatever a tenant declares. */
export const SCHEDULED_EVENT_TYPES: readonly string[] = ['customer.birthday', 'customer.inactive'];

/** Known without a rule: `purchase` adds its `data.amount` to the customer's total spend. */
const MEANINGFUL_TYPES: readonly string[] = ['purchase', ...REFUND_EVENT_TYPES, ...SCHEDULED_EVENT_TYPES];

/** The tenant's declared event types (tenants created before the setting have none). */
export function declaredEventTypesOf(settings: TenantSettings): readonly string[] | null {
  return settings.event_types ?? null;
}

/**
 * Refuses an event whose type the tenant did not declare in `settings.event_types`: a misspelt
 * type would otherwise be stored and earn nothing, unnoticed.
 */
export function refuseUndeclaredType(tenant: Tenant, type: string): void {
  const declared = declaredEventTypesOf(tenant.settings);
  if (declared === null || declared.includes(type) || SCHEDULED_EVENT_TYPES.includes(type)) return;
  const near = closest(type, declared);
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  const allowed = declared.map((t) => `"${t}"`).join(', ');
  throw new UnprocessableInputError(
    `Invalid event: type: "${type}" is not one of this tenant's event_types (${allowed})${hint}`,
    [{ path: 'type', message: `must be one of ${allowed}${hint}`, code: 'undeclared_event_type' }],
  );
}

/**
 * A warning when no rule (active or not) and nothing in LaaS knows the event's type: most likely
 * a typo at the till, which would otherwise be accepted and earn nothing, silently. Costs nothing
 * when an active rule listens to the type (the rules are already loaded); otherwise reads the
 * tenant's rule types once per change of its rules.
 */
export async function eventTypeWarnings(
  tx: Tx,
  tenant: Tenant,
  config: TenantConfig,
  type: string,
  listening: readonly Rule[],
): Promise<IngestWarning[]> {
  if (listening.length > 0 || MEANINGFUL_TYPES.includes(type)) return [];
  // The answer depends on the configuration alone (the settings are part of it), so it is worked
  // out once per type and version: a type no rule listens to can be most of a tenant's events
  // (visits where only purchases earn), and the "did you mean" search is not free.
  const warnings = await config.memo(`event-type-warnings:${type}`, async (): Promise<IngestWarning[]> => {
    const declared = declaredEventTypesOf(tenant.settings) ?? [];
    if (declared.includes(type)) return [];
    const known = await config.knownTypes(tx);
    if (known.has(type)) return [];
    const near = closest(type, new Set([...known, ...declared, ...MEANINGFUL_TYPES]));
    const hint = near === undefined ? '' : `; did you mean "${near}"?`;
    return [{ code: 'unknown_event_type', message: `No rule listens to "${type}"${hint}`, path: 'type' }];
  });
  return warnings.map((w) => ({ ...w }));
}
