import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import {
  type Budget,
  type CreateTenantInput,
  createEngine,
  type Engine,
  type IngestResult,
  type LaasError,
  memoryStore,
  type ReplayStore,
  type Reward,
  type Rule,
  replayStore,
  type Store,
  type Tenant,
} from '@laas/core';
import type { EventInput } from './events.js';
import type { Project } from './project.js';

export type StoreKind = 'replay' | 'memory' | 'sqlite';

/** An engine on a throw-away store, loaded with a project, whose clock the caller moves. */
export interface Scratch {
  engine: Engine;
  tenant: Tenant;
  store: StoreKind;
  rules: Map<string, Rule>;
  rewards: Map<string, Reward>;
  budgets: Map<string, Budget>;
  /** Reward ids rules name that the project does not define (created as placeholder items). */
  placeholders: string[];
  /** Sets the clock to `at` and ingests; expires due rewards and points first when a day has passed. */
  ingest(input: EventInput, at: Date): Promise<IngestResult>;
  /** What `expireDue` did along the way. */
  expired: { rewards: number; reservations: number; points: number };
  /**
   * Events older than the replay store's compaction had reached when they came (a file out of time
   * order by more than a day): their caps and cooldowns may not have seen every earlier issuance.
   */
  late: number;
  close(): Promise<void>;
}

export interface ScratchOptions {
  store: StoreKind;
  /** Overrides the project's tenant time zone. */
  timezone?: string | undefined;
  /** The clock while the project is loaded (customers are enrolled then): the first event's time. */
  start: Date;
  /** Budget fields to override by budget id or name (fixtures). */
  budgetOverrides?: Array<Record<string, unknown>>;
  /** Customers to create besides the project's. */
  extraCustomers?: Array<Record<string, unknown>>;
}

const DAY_MS = 86_400_000;
const live = new Set<() => void>();
let hooked = false;

/** Removes scratch files on exit and on Ctrl-C. */
function hookCleanup(): void {
  if (hooked) return;
  hooked = true;
  const cleanAll = () => {
    for (const clean of live) clean();
    live.clear();
  };
  process.on('exit', cleanAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

async function openStore(kind: StoreKind): Promise<{ store: Store; cleanup: () => void }> {
  if (kind === 'replay') {
    // V8 lets the heap grow to several times what is live before a full collection when a program
    // allocates as fast as a replay does (measured: 54 MB live, 292 MB resident after 100,000
    // events). A replay's live memory is bounded by its customers; a growing factor of 1.25 keeps
    // the resident size near it (188 MB) at no measurable cost in events/s. This process runs one
    // command and exits, so tuning its collector here affects nothing else.
    setFlagsFromString('--heap-growing-percent=25');
    // The engine never mutates a row it passed to the store or got from it, and neither does the
    // replay: the store may share them rather than copy them both ways.
    return { store: replayStore({ name: 'dry-run', shareRows: true }), cleanup: () => {} };
  }
  if (kind === 'memory') return { store: memoryStore({ name: 'dry-run' }), cleanup: () => {} };
  const { sqliteStore } = await import('@laas/adapters-sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'laas-scratch-'));
  const store = sqliteStore({
    filename: join(dir, 'scratch.sqlite'),
    // A scratch file: nothing to make durable, so no syncs.
    pragmas: { journalMode: 'WAL', synchronous: 'OFF' },
  });
  await store.migrate();
  store.connection.pragma('cache_size = -16384'); // 16 MiB page cache: bounded memory
  store.connection.pragma('temp_store = MEMORY');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  live.add(cleanup);
  hookCleanup();
  return {
    store,
    cleanup: () => {
      live.delete(cleanup);
      cleanup();
    },
  };
}

function describe(error: unknown): string {
  const e = error as LaasError & { details?: { issues?: Array<{ path: string; message: string }> } };
  const issues = e.details?.issues;
  if (Array.isArray(issues) && issues.length > 0 && !e.message.includes(issues[0]?.path ?? '\u0000')) {
    return `${e.message}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  }
  return e instanceof Error ? e.message : String(error);
}

export class ScratchSetupError extends Error {
  override name = 'ScratchSetupError';
}

/**
 * Ids of a replay: UUIDv7-shaped (the 48-bit time of the replay's start, version 7, variant 8) and
 * ascending, from a counter. uuid's v7 fills 10 random bytes per id (5% of a replay); nothing of a
 * replay depends on an id's randomness, only on ids being unique and ascending with creation.
 */
export function counterIds(start = Date.now()): () => string {
  const time = start.toString(16).padStart(12, '0').slice(-12);
  const head = `${time.slice(0, 8)}-${time.slice(8)}-7000-8`;
  let n = 0;
  return () => {
    const hex = (n++).toString(16).padStart(15, '0');
    return `${head}${hex.slice(0, 3)}-${hex.slice(3)}`;
  };
}

export async function createScratch(project: Project, options: ScratchOptions): Promise<Scratch> {
  let now = options.start;
  const { store, cleanup } = await openStore(options.store);
  const engine = createEngine({
    store,
    clock: () => now,
    ...(options.store === 'replay' ? { ids: counterIds() } : {}),
  });
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw new ScratchSetupError(`${what}: ${describe(error)}`);
    }
  };
  try {
    const tenantInput: CreateTenantInput = { name: 'dry-run', ...project.tenant };
    if (options.timezone !== undefined) tenantInput.timezone = options.timezone;
    const tenant = await step('tenant', () => engine.tenants.create(tenantInput));
    const t = tenant.id;
    const budgets = new Map<string, Budget>();
    for (const b of project.budgets) {
      const override = options.budgetOverrides?.find((o) => o.id === b.id || o.name === b.name);
      const { id: _id, name: _name, ...rest } = override ?? {};
      const created = await step(`budget "${b.name}"`, () =>
        engine.budgets.create(t, { ...b.raw, ...(rest as object) }),
      );
      budgets.set(created.id, created);
    }
    for (const c of project.campaigns)
      await step(`campaign "${c.name}"`, () => engine.campaigns.create(t, c.raw));
    const rewards = new Map<string, Reward>();
    for (const r of project.rewards) {
      const created = await step(`reward "${r.name}"`, () => engine.rewards.create(t, r.raw));
      rewards.set(created.id, created);
      const codes = project.codes.get(created.id) ?? [];
      for (let i = 0; i < codes.length; i += 10_000) {
        await step(`codes of "${r.name}"`, () =>
          engine.rewards.uploadCodes(t, created.id, { codes: codes.slice(i, i + 10_000) }),
        );
      }
    }
    const placeholders: string[] = [];
    for (const r of project.rules) {
      const rewardId = r.raw.reward_id;
      if (!rewards.has(rewardId) && !placeholders.includes(rewardId)) {
        placeholders.push(rewardId);
        const created = await step(`placeholder reward ${rewardId}`, () =>
          engine.rewards.create(t, { id: rewardId, name: `reward ${rewardId.slice(0, 8)}…`, type: 'item' }),
        );
        rewards.set(created.id, created);
      }
    }
    const rules = new Map<string, Rule>();
    for (const r of project.rules) {
      const created = await step(`rule "${r.name}"`, () => engine.rules.create(t, r.raw));
      rules.set(created.id, created);
    }
    for (const c of [...project.customers.map((c) => c.raw), ...(options.extraCustomers ?? [])]) {
      await step(`customer ${JSON.stringify(c.external_ref ?? c.phone ?? c.name)}`, () =>
        engine.customers.create(t, c as never),
      );
    }
    const expired = { rewards: 0, reservations: 0, points: 0 };
    let lastDay = Math.floor(now.getTime() / DAY_MS);
    // The replay store forgets, once a day of events, what later decisions cannot read.
    const compactable = options.store === 'replay' ? (store as ReplayStore) : null;
    let compactedTo = Number.NEGATIVE_INFINITY;
    const scratch: Scratch = {
      engine,
      tenant,
      store: options.store,
      rules,
      rewards,
      budgets,
      placeholders,
      expired,
      late: 0,
      async ingest(input, at) {
        const day = Math.floor(at.getTime() / DAY_MS);
        if (day > lastDay) {
          // What the server's worker would have done meanwhile: expire due rewards and points.
          now = new Date(day * DAY_MS);
          const r = await engine.expireDue(t, now);
          expired.rewards += r.expired;
          expired.reservations += r.cancelled;
          expired.points += r.points_expired;
          lastDay = day;
          if (compactable !== null) {
            await compactable.compact(t, now);
            compactedTo = Math.max(compactedTo, day * DAY_MS - DAY_MS);
          }
        }
        if (at.getTime() < compactedTo) scratch.late++;
        now = at;
        return engine.ingest(t, input as never);
      },
      async close() {
        await store.close();
        cleanup();
      },
    };
    return scratch;
  } catch (error) {
    await store.close();
    cleanup();
    throw error;
  }
}

export { describe as describeError };
