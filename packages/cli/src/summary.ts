import { type Budget, type IngestResult, isCurrency, localNow, MAX_PAGE_LIMIT, periodKey } from '@laas/core';
import type { Scratch } from './scratch.js';

export interface RuleSummary {
  rule_id: string;
  rule_name: string;
  reward: string;
  /** Decisions per outcome (`issued`, `not_matched`, `cooldown`, `cap_reached`, ...). */
  outcomes: Record<string, number>;
  /** Issuances created (issued or reserved). */
  issuances: number;
  quantity: number;
  value: number;
  /** What `value` counts: `points`, `percent`, or the tenant's currency (minor units). */
  value_unit: string;
  cost: number;
  /** What `cost` counts: the unit of the rule's budget, else the tenant's currency (minor units). */
  cost_unit: string;
}

export interface BudgetPeriodSummary {
  period: string;
  /** Local dates (tenant time zone) the period spans: [start, end). */
  starts: string;
  ends: string | null;
  limit: number;
  reserved: number;
  utilized: number;
  spent: number;
  /** reserved + utilized + spent at the end of the run. */
  committed: number;
  /** Cost of the rewards handed out in the period (before any expiry or cancellation released it). */
  charged: number;
  /** Rewards refused because the budget had no room. */
  refused: number;
  /** The local date of the first refusal. */
  exhausted_on: string | null;
}

export interface BudgetSummary {
  budget_id: string;
  name: string;
  unit: string;
  /** The currency of `limit` and the period amounts (minor units); null for a points budget. */
  currency: string | null;
  period: Budget['period'];
  limit: number;
  hard_cap: boolean;
  periods: BudgetPeriodSummary[];
  /** Cost charged per local day, in date order. */
  daily: Array<{ date: string; cost: number }>;
}

/** A points programme over the replay, in points. */
export interface PointsSummary {
  /** Points credited by rules. */
  earned: number;
  /** Points that left balances other than by expiry (bought rewards with points, adjustments). */
  spent: number;
  /** Points whose lots expired unused. */
  expired: number;
  /** Points customers hold at the end: what the programme still owes. */
  outstanding: number;
}

export interface DryRunSummary {
  store: string;
  timezone: string;
  /** The tenant's currency: money amounts are integers in its minor units. */
  currency: string;
  events: {
    read: number;
    processed: number;
    rejected: number;
    replayed: number;
    by_type: Record<string, number>;
    first_at: string | null;
    last_at: string | null;
  };
  customers_enrolled: number;
  decisions: Record<string, number>;
  rules: RuleSummary[];
  budgets: BudgetSummary[];
  codes: Array<{ reward_id: string; reward: string; used: number; available: number }>;
  expired: { rewards: number; reservations: number; points: number };
  /**
   * Events that came more than a day before what the replay store had already compacted (a file
   * out of time order): their caps and cooldowns may not have seen every earlier issuance.
   */
  late_events: number;
  /** Null when no reward credits points. */
  points: PointsSummary | null;
  placeholder_rewards: string[];
  rejected_samples: Array<{ line: number; error: string }>;
  elapsed_ms: number;
}

const MAX_SAMPLES = 20;

/** Adds up a run event by event, keeping only counters (bounded memory). */
export class SummaryBuilder {
  readonly #scratch: Scratch;
  readonly #tz: string;
  readonly #started = Date.now();
  readonly #rules = new Map<string, RuleSummary>();
  readonly #decisions: Record<string, number> = {};
  readonly #byType: Record<string, number> = {};
  /** budget id → period → { charged, refused, exhausted_on } */
  readonly #periods = new Map<
    string,
    Map<string, { charged: number; refused: number; exhausted_on: string | null }>
  >();
  readonly #daily = new Map<string, Map<string, number>>();
  readonly #codes = new Map<string, number>();
  readonly #samples: Array<{ line: number; error: string }> = [];
  /** Rules whose reward credits points. */
  readonly #pointsRules = new Set<string>();
  #pointsEarned = 0;
  #read = 0;
  #processed = 0;
  #rejected = 0;
  #replayed = 0;
  #enrolled = 0;
  #first: string | null = null;
  #last: string | null = null;
  #lastDate = '';
  #lastDateOf = '';

  constructor(scratch: Scratch) {
    this.#scratch = scratch;
    this.#tz = scratch.tenant.timezone;
    const currency = scratch.tenant.settings.currency;
    for (const rule of scratch.rules.values()) {
      const reward = scratch.rewards.get(rule.reward_id);
      const budget = rule.budget_id === null ? undefined : scratch.budgets.get(rule.budget_id);
      this.#rules.set(rule.id, {
        rule_id: rule.id,
        rule_name: rule.name,
        reward: reward?.name ?? rule.reward_id,
        outcomes: {},
        issuances: 0,
        quantity: 0,
        value: 0,
        value_unit:
          reward?.type === 'points' ? 'points' : reward?.type === 'discount_percent' ? 'percent' : currency,
        cost: 0,
        cost_unit: budget?.unit ?? currency,
      });
      if (reward?.type === 'points') this.#pointsRules.add(rule.id);
    }
  }

  /** The local date (tenant zone) of an instant; cached for runs of events on the same second. */
  localDate(iso: string): string {
    if (iso !== this.#lastDateOf) {
      this.#lastDateOf = iso;
      this.#lastDate = localNow(iso, this.#tz).date;
    }
    return this.#lastDate;
  }

  rejected(line: number, error: string): void {
    this.#read++;
    this.#rejected++;
    if (this.#samples.length < MAX_SAMPLES) this.#samples.push({ line, error });
  }

  add(type: string, occurredAt: string, result: IngestResult): void {
    this.#read++;
    this.#processed++;
    this.#byType[type] = (this.#byType[type] ?? 0) + 1;
    if (this.#first === null || occurredAt < this.#first) this.#first = occurredAt;
    if (this.#last === null || occurredAt > this.#last) this.#last = occurredAt;
    if (result.replayed) {
      this.#replayed++;
      return;
    }
    if (result.enrolled) this.#enrolled++;
    const date = this.localDate(occurredAt);
    for (const d of result.decisions) {
      this.#decisions[d.outcome] = (this.#decisions[d.outcome] ?? 0) + 1;
      const rule = this.#rules.get(d.rule_id);
      if (rule !== undefined) rule.outcomes[d.outcome] = (rule.outcomes[d.outcome] ?? 0) + 1;
      if (d.outcome === 'budget_exhausted') {
        const budget = this.#budgetOf(d.rule_id);
        if (budget !== null) {
          const p = this.#period(budget.id, periodKey(occurredAt, budget.period, this.#tz));
          p.refused++;
          p.exhausted_on ??= date;
        }
      }
    }
    for (const i of result.issuances) {
      const rule = i.rule_id === null ? undefined : this.#rules.get(i.rule_id);
      if (rule !== undefined) {
        rule.issuances++;
        rule.quantity += i.quantity;
        rule.value += i.value;
        rule.cost += i.cost;
        if (this.#pointsRules.has(rule.rule_id)) this.#pointsEarned += i.value;
      }
      if (i.code !== null) this.#codes.set(i.reward_id, (this.#codes.get(i.reward_id) ?? 0) + 1);
      if (i.budget_id !== null && i.budget_period !== null) {
        this.#period(i.budget_id, i.budget_period).charged += i.cost;
        let days = this.#daily.get(i.budget_id);
        if (days === undefined) {
          days = new Map();
          this.#daily.set(i.budget_id, days);
        }
        days.set(date, (days.get(date) ?? 0) + i.cost);
      }
    }
  }

  /** Earned and expired as counted along the way; outstanding from every balance at the end. */
  async #points(): Promise<PointsSummary> {
    const { engine, tenant } = this.#scratch;
    let outstanding = 0;
    let cursor: string | null = null;
    do {
      const page = await engine.customers.list(
        tenant.id,
        {},
        { limit: MAX_PAGE_LIMIT, ...(cursor ? { cursor } : {}) },
      );
      for (const c of page.items) outstanding += c.stats.points_balance;
      cursor = page.next_cursor;
    } while (cursor !== null);
    const expired = this.#scratch.expired.points;
    // A replay only earns and expires points; whatever else left the balances was spent.
    return {
      earned: this.#pointsEarned,
      spent: this.#pointsEarned - expired - outstanding,
      expired,
      outstanding,
    };
  }

  #budgetOf(ruleId: string): Budget | null {
    const rule = this.#scratch.rules.get(ruleId);
    if (rule === undefined) return null;
    const id = rule.budget_id;
    return id === null ? null : (this.#scratch.budgets.get(id) ?? null);
  }

  #period(budgetId: string, period: string) {
    let periods = this.#periods.get(budgetId);
    if (periods === undefined) {
      periods = new Map();
      this.#periods.set(budgetId, periods);
    }
    let p = periods.get(period);
    if (p === undefined) {
      p = { charged: 0, refused: 0, exhausted_on: null };
      periods.set(period, p);
    }
    return p;
  }

  /** Reads the final budget counters and code pools from the scratch engine. */
  async finish(): Promise<DryRunSummary> {
    const { engine, tenant } = this.#scratch;
    const budgets: BudgetSummary[] = [];
    for (const b of this.#scratch.budgets.values()) {
      const stored = await engine.budgets.periods(tenant.id, b.id);
      const mine = this.#periods.get(b.id) ?? new Map();
      const keys = new Set<string>([...stored.map((p) => p.period), ...mine.keys()]);
      const periods = [...keys].sort().map((key): BudgetPeriodSummary => {
        const s = stored.find((p) => p.period === key);
        const m = mine.get(key);
        const [starts, ends] = periodBounds(
          key,
          b.period,
          this.#first === null ? null : this.localDate(this.#first),
        );
        const committed = s === undefined ? 0 : s.reserved + s.utilized + s.spent;
        return {
          period: key,
          starts,
          ends,
          limit: s?.limit ?? b.limit,
          reserved: s?.reserved ?? 0,
          utilized: s?.utilized ?? 0,
          spent: s?.spent ?? 0,
          committed,
          charged: m?.charged ?? 0,
          refused: m?.refused ?? 0,
          exhausted_on: m?.exhausted_on ?? null,
        };
      });
      const daily = [...(this.#daily.get(b.id) ?? new Map<string, number>())]
        .sort((x, y) => (x[0] < y[0] ? -1 : 1))
        .map(([date, cost]) => ({ date, cost }));
      budgets.push({
        budget_id: b.id,
        name: b.name,
        unit: b.unit,
        currency: isCurrency(b.unit) ? b.unit : null,
        period: b.period,
        limit: b.limit,
        hard_cap: b.hard_cap,
        periods,
        daily,
      });
    }
    const codes: DryRunSummary['codes'] = [];
    for (const r of this.#scratch.rewards.values()) {
      if (r.type !== 'voucher') continue;
      const counts = await engine.rewards.codeCounts(tenant.id, r.id);
      codes.push({
        reward_id: r.id,
        reward: r.name,
        used: this.#codes.get(r.id) ?? 0,
        available: counts.available,
      });
    }
    return {
      store: this.#scratch.store,
      timezone: this.#tz,
      currency: tenant.settings.currency,
      events: {
        read: this.#read,
        processed: this.#processed,
        rejected: this.#rejected,
        replayed: this.#replayed,
        by_type: this.#byType,
        first_at: this.#first,
        last_at: this.#last,
      },
      customers_enrolled: this.#enrolled,
      decisions: this.#decisions,
      rules: [...this.#rules.values()],
      budgets,
      codes,
      expired: { ...this.#scratch.expired },
      late_events: this.#scratch.late,
      points: this.#pointsRules.size === 0 ? null : await this.#points(),
      placeholder_rewards: this.#scratch.placeholders,
      rejected_samples: this.#samples,
      elapsed_ms: Date.now() - this.#started,
    };
  }
}

function ymd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The local dates a period key spans, [start, end); `all` runs from the first event on. */
export function periodBounds(
  key: string,
  unit: Budget['period'],
  firstDate: string | null,
): [string, string | null] {
  if (unit === 'none') return [firstDate ?? '', null];
  if (unit === 'day') {
    const s = Date.parse(`${key}T00:00:00Z`);
    return [key, ymd(s + 86_400_000)];
  }
  if (unit === 'month') {
    const [y, m] = key.split('-').map(Number) as [number, number];
    return [ymd(Date.UTC(y, m - 1, 1)), ymd(Date.UTC(y, m, 1))];
  }
  if (unit === 'year') {
    const y = Number(key);
    return [ymd(Date.UTC(y, 0, 1)), ymd(Date.UTC(y + 1, 0, 1))];
  }
  // ISO week `2026-W47`: week 1 holds January 4th.
  const [ys, ws] = key.split('-W') as [string, string];
  const jan4 = Date.UTC(Number(ys), 0, 4);
  const monday =
    jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000 + (Number(ws) - 1) * 7 * 86_400_000;
  return [ymd(monday), ymd(monday + 7 * 86_400_000)];
}
