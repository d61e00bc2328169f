import type { Customer } from '../domain/customer.js';
import type { Tenant } from '../domain/tenant.js';
import type { Engine } from '../engine/types.js';
import { localNow, startOfUnit } from '../time.js';

const DAY_MS = 86_400_000;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** What one day's run ingested (and what it skipped because the same day already ran). */
export interface ScheduledEventsResult {
  birthdays: number;
  inactive: number;
  /** Ingests refused (e.g. a customer blocked meanwhile); each was passed to `onError`. */
  errors: number;
}

/**
 * The daily scheduled events of one tenant, as of `now` in the tenant's time zone. Each is an
 * ordinary `engine.ingest` (rules react to it like any event) with a deterministic idempotency key
 * and payload, so running the same day twice — two workers, a restart — issues nothing twice:
 *
 * - `customer.birthday` for each active customer whose birthday is the local date (29 February
 *   birthdays on 28 February in other years); key `sched:birthday:<customer>:<local date>`,
 *   `occurred_at` the start of the local day, `data: { date }`.
 * - `customer.inactive` for each active customer without an event for
 *   `tenant.settings.inactive_after_days` days; key `sched:inactive:<customer>:<last activity>`
 *   (the last event, or the enrolment), `occurred_at` the instant the threshold was crossed,
 *   `data: { days, since }`. The event is itself an event, so a customer who stays away gets one
 *   again after another N days.
 */
export async function runScheduledEvents(
  engine: Engine,
  tenant: Tenant,
  now: Date,
  onError: (error: unknown) => void = () => {},
): Promise<ScheduledEventsResult> {
  const result: ScheduledEventsResult = { birthdays: 0, inactive: 0, errors: 0 };
  const at = now.toISOString();
  const date = localNow(at, tenant.timezone).date;
  const dayStart = startOfUnit(at, 'day', tenant.timezone);
  const ingest = async (input: Parameters<Engine['ingest']>[1]): Promise<boolean> => {
    try {
      await engine.ingest(tenant.id, input);
      return true;
    } catch (error) {
      result.errors++;
      onError(error);
      return false;
    }
  };

  const monthDays = [date.slice(5)];
  if (monthDays[0] === '02-28' && !isLeapYear(Number(date.slice(0, 4)))) monthDays.push('02-29');
  for (const monthDay of monthDays) {
    for await (const customer of everyCustomer((tx, page) => tx.customers.listBirthdays(monthDay, page))) {
      const ok = await ingest({
        idempotency_key: `sched:birthday:${customer.id}:${date}`,
        type: 'customer.birthday',
        occurred_at: dayStart,
        customer: { id: customer.id },
        data: { date },
      });
      if (ok) result.birthdays++;
    }
  }

  const days = tenant.settings.inactive_after_days;
  const before = new Date(now.getTime() - days * DAY_MS).toISOString();
  for await (const customer of everyCustomer((tx, page) => tx.customers.listInactive(before, page))) {
    const since = customer.last_event_at ?? customer.enrolled_at;
    const ok = await ingest({
      idempotency_key: `sched:inactive:${customer.id}:${since}`,
      type: 'customer.inactive',
      occurred_at: new Date(Date.parse(since) + days * DAY_MS).toISOString(),
      customer: { id: customer.id },
      data: { days, since },
    });
    if (ok) result.inactive++;
  }
  return result;

  /** The matching customers, read a page per short read-only transaction. */
  async function* everyCustomer(
    list: (
      tx: Parameters<Parameters<Engine['store']['transaction']>[1]>[0],
      page: { limit: number; cursor?: string },
    ) => Promise<{ items: Customer[]; next_cursor: string | null }>,
  ): AsyncGenerator<Customer> {
    let cursor: string | undefined;
    do {
      const page = await engine.store.transaction(
        tenant.id,
        (tx) => list(tx, { limit: 200, ...(cursor === undefined ? {} : { cursor }) }),
        { readOnly: true },
      );
      for (const customer of page.items) yield customer;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }
}
